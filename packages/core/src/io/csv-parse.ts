// An RFC 4180 CSV tokenizer that knows where it is: every record carries its 1-based line number,
// so errors name the line (and the column, once values are converted).
import { CsvParseError } from '../errors.ts';

export interface CsvRecord {
  readonly fields: string[];
  /** Which fields were quoted (a quoted empty string is a value, an unquoted one is null). */
  readonly quoted: boolean[];
  /** 1-based line where the record starts. */
  readonly line: number;
}

export interface CsvTokenizeOptions {
  readonly delimiter?: string;
  readonly quote?: string;
  /** Name shown in errors. */
  readonly source?: string;
}

/** Yield the records of a CSV text. Handles quotes, doubled quotes, CRLF/LF/CR line ends, a BOM. */
export function* tokenizeCsv(text: string, opts: CsvTokenizeOptions = {}): Generator<CsvRecord> {
  const delim = opts.delimiter ?? ',';
  const quote = opts.quote ?? '"';
  if (delim.length !== 1 || quote.length !== 1) {
    throw new CsvParseError('MF_CSV_PARSE', 'delimiter and quote must be single characters', { op: 'readCsv', fix: "pass e.g. delimiter: ';'" });
  }
  const D = delim.charCodeAt(0);
  const Q = quote.charCodeAt(0);
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  let line = 1;
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    const quoted: boolean[] = [];
    let recordDone = false;
    while (!recordDone) {
      if (i < n && text.charCodeAt(i) === Q) {
        // Quoted field: runs to the closing quote; "" is a literal quote; newlines are data.
        const qLine = line;
        i++;
        let buf = '';
        let segStart = i;
        for (;;) {
          if (i >= n) {
            throw new CsvParseError('MF_CSV_PARSE', `unterminated quoted field starting on line ${qLine}`, {
              op: 'readCsv', line: qLine, fix: 'close the quote, or double quotes inside quoted fields ("")',
            });
          }
          const c = text.charCodeAt(i);
          if (c === Q) {
            if (i + 1 < n && text.charCodeAt(i + 1) === Q) { buf += text.slice(segStart, i + 1); i += 2; segStart = i; continue; }
            buf += text.slice(segStart, i);
            i++;
            break;
          }
          if (c === 10) line++;
          else if (c === 13 && text.charCodeAt(i + 1) !== 10) line++;
          i++;
        }
        fields.push(buf);
        quoted.push(true);
        const c = i < n ? text.charCodeAt(i) : -1;
        if (c === D) { i++; continue; }
        if (c === -1) { recordDone = true; break; }
        if (c === 10 || c === 13) { i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1; line++; recordDone = true; break; }
        throw new CsvParseError('MF_CSV_PARSE', `unexpected character '${text[i]}' after closing quote on line ${line}, field ${fields.length}`, {
          op: 'readCsv', line, fix: 'quote the whole field, and double quotes inside it ("")',
        });
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === D || c === 10 || c === 13) break;
          j++;
        }
        fields.push(text.slice(i, j));
        quoted.push(false);
        if (j >= n) { i = j; recordDone = true; break; }
        const c = text.charCodeAt(j);
        if (c === D) { i = j + 1; if (i >= n) { fields.push(''); quoted.push(false); recordDone = true; } continue; }
        i = j + (c === 13 && text.charCodeAt(j + 1) === 10 ? 2 : 1);
        line++;
        recordDone = true;
      }
    }
    // A blank line is not a record.
    if (fields.length === 1 && fields[0] === '' && !quoted[0]) continue;
    yield { fields, quoted, line: startLine };
  }
}
