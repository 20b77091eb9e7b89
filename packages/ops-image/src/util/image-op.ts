// The shape every image → image op shares: read the uint8 HWC column, transform each row, write
// the result (replacing the column unless `output` names another), errors per row.
import type { KernelContext, KernelInput, KernelResult, OpCall } from '@modaflow/core';
import { IMAGE_U8, imageColumn, mapRows, readImages, type ImageU8, type Img } from './image.ts';

export interface ImageParams {
  /** The uint8 HWC image column to read. */
  readonly column: string;
  /** Column to write (default: replace `column`). */
  readonly output?: string;
}

export type ImageIn<C extends string> = { [K in C]: ImageU8 };
export type ImageOut<O extends string> = { [K in O]: ImageU8 };
/** The typed call of an image → image op. */
export type ImageCall<C extends string, O extends string> = OpCall<ImageIn<C>, ImageOut<O>>;

export const imageInputs = (p: ImageParams) => ({ [p.column]: IMAGE_U8 });
export const imageOutputs = (p: ImageParams) => ({ [p.output ?? p.column]: IMAGE_U8 });

/** A kernel applying `fn` to every non-null image; a throw becomes that row's error. */
export function imageKernel<P extends ImageParams>(fn: (img: Img, p: P, ctx: KernelContext<unknown, unknown>, row: number) => Img) {
  return (input: KernelInput, p: P, ctx: KernelContext<unknown, unknown>): KernelResult => {
    const out = mapRows(readImages(input, p.column), ctx, p.column, (img, i) => fn(img, p, ctx, i));
    return { columns: { [p.output ?? p.column]: imageColumn(out) } };
  };
}
