/** The parameter lists optimizers, clipping and EMA accept: tensors or a module's parameters. */
import { Tensor } from '../tensor';
import { isFloating } from '../dtype';
import { fail } from '../validate';

/** Anything with parameters(), such as a Module from lib/nn. */
export interface HasParameters {
  parameters(): Tensor[];
}
export type ParameterSource = Tensor[] | HasParameters;

export function parameterList(source: ParameterSource, name = 'params', requireGrad = true): Tensor[] {
  const list = Array.isArray(source) ? source : source !== null && typeof source === 'object' && typeof source.parameters === 'function' ? source.parameters() : undefined;
  if (list === undefined) fail('an array of tensors or a module', name, source);
  if (list.length === 0) fail('at least one parameter', name, list);
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) fail('a Tensor', `${name}[${i}]`, p);
    if (!isFloating(p.dtype)) fail('a floating-point tensor', `${name}[${i}]`, `a ${p.dtype} tensor`);
    if (requireGrad && !p.requiresGrad) fail('a tensor that requires gradients', `${name}[${i}]`, p.toString());
  });
  return list;
}

export function handles(list: Tensor[]): number[] {
  return list.map((t) => t._h);
}
