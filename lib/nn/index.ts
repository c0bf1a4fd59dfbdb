/** Native models: MLP and ADM U-Net vector fields. */
export { Module, type ForwardOptions, type LoadStateDictOptions, type LoadReport } from './module';
export { createMLP, ACTIVATIONS, type Activation, type MLPConfig, type ResolvedMLPConfig } from './mlp';
export { createUNet, UNet, type UNetConfig, type ResolvedUNetConfig } from './unet';
export { loadTorchScript, ScriptModule, type ScriptForwardOptions } from './torchscript';
