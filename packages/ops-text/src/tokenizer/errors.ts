// The one error the tokenizer library throws outside an op: a tokenizer.json or vocab it cannot use.
import { InvalidArgumentError } from '@modaflow/core';

/** A tokenizer file that is malformed or uses a component we do not implement. */
export class TokenizerConfigError extends InvalidArgumentError {
  override name = 'TokenizerConfigError';
  constructor(reason: string, fix = 'check the tokenizer file (a Hugging Face tokenizer.json or a BERT vocab.txt)') {
    super('MF_INVALID_ARGUMENT', reason, { op: 'text.tokenize', fix });
  }
}
