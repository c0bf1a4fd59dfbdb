/** The velocity-model contract, and the native models that meet it: MLP and ADM U-Net vector fields. */
export { callModel, type VelocityModel, type Conditioning } from './velocity-model';
export { Module, type ForwardOptions, type LoadStateDictOptions, type LoadReport } from './module';
export { createMLP, ACTIVATIONS, MLP_LIMITS, type Activation, type MLPConfig, type ResolvedMLPConfig } from './mlp';
export { createUNet, UNet, type UNetConfig, type ResolvedUNetConfig } from './unet';
export { loadTorchScript, ScriptModule, MAX_TORCHSCRIPT_BYTES, type ScriptForwardOptions } from './torchscript';
