export { buildReport, jsonPathFor, runJson, writeAtomically, writeReport } from './assemble.js';
export {
  argmax,
  type BootstrapOptions,
  calibrationFigures,
  classificationFigures,
  compareRuns,
  dataHash,
  lengthBucket,
  modalityFigures,
  modelFigures,
  setFigures,
  sliceFigures,
  wordCount,
} from './gather.js';
export { renderReport } from './html.js';
export { DEFAULT_LEVELS, loadTest, loopbackOrigin, MAX_CONNECTIONS, MAX_LOAD_SECONDS } from './load.js';
export {
  blur,
  casingNoise,
  gaussianNoise,
  itemSeed,
  jpegRecompress,
  lowLight,
  PHOTO_PERTURBATIONS,
  perturbPhoto,
  perturbText,
  punctuationNoise,
  rotatePhoto,
  TEXT_PERTURBATIONS,
  typoDrop,
  typoKeyboard,
  typoSwap,
} from './perturb.js';
export { GLOWING_TEXTS, type RunOptions, robustnessSample, runModel, scoreItems } from './run.js';
export { summarizeReport } from './summary.js';
export { barsSvg, confusionSvg, radarSvg, reliabilitySvg } from './svg.js';
export type * from './types.js';
export { type AnswersLikeTheServer, analyzerUnderTest } from './under-test.js';
