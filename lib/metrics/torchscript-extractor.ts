/**
 * FID features from a TorchScript network (for example an Inception-v3 pool3 exporter saved
 * with torch.jit.save): its output for a batch, flattened to [N, D]. A tuple or list output
 * contributes its first tensor.
 */
import { Tensor } from '../tensor';
import { tidy } from '../scope';
import { fail } from '../validate';
import { ScriptModule } from '../nn/torchscript';
import type { FeatureExtractor } from './feature-extractor';

export function torchScriptExtractor(module: ScriptModule): FeatureExtractor {
  if (!(module instanceof ScriptModule)) fail('a ScriptModule (from loadTorchScript())', 'module', module);
  return {
    features: (images: Tensor) =>
      tidy(() => {
        const out = module.forward(images);
        const first = Array.isArray(out) ? out[0] : out;
        if (first === undefined || first.ndim < 1 || first.shape[0] !== images.shape[0]) {
          fail(`features with one row per image ([${images.shape[0]}, …])`, `the output of ${module.file}`, first === undefined ? out : first.shape);
        }
        return first.reshape([first.shape[0], -1]);
      }),
  };
}
