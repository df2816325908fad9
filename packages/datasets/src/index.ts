/**
 * @genmodels/datasets: real data, batching, pictures and metrics for genmodels.
 * Every public name is exported here explicitly.
 */

export type {
  Cifar10Dataset,
  Cifar10Files,
  Cifar10LoadOptions,
  Cifar10Split,
} from './cifar10/cifar10.js';
export { cifar10 } from './cifar10/cifar10.js';
export { CIFAR10_CLASSES, Cifar10FormatError } from './cifar10/format.js';
export type { IdxArray, ImageSplit } from './idx.js';
export {
  encodeIdx,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  IdxError,
  imageSplitFromIdx,
  isGzip,
  parseIdx,
} from './idx.js';
export type { DataLoaderOptions, TensorBatch, Transform, TransformContext } from './loader.js';
export {
  binarize,
  DataLoader,
  DataLoaderError,
  dequantize,
  flatten,
  scaleTo01,
  scaleToMinus11,
} from './loader.js';
export type { BitsPerDimOptions } from './metrics/bpd.js';
export { bitsPerDim } from './metrics/bpd.js';
export type {
  Cifar10SampleMetrics,
  Cifar10SampleMetricsOptions,
} from './metrics/cifar-features.js';
export { CifarFeatures, cifar10SampleMetrics, cifarNetWeights } from './metrics/cifar-features.js';
export { CIFAR10_MEAN, CIFAR10_STD, CifarNet, standardizeCifar } from './metrics/cifar-net.js';
export type {
  ClassifierSpec,
  ClassifierStats,
  CompareOptions,
  FeatureComparison,
} from './metrics/classifier-features.js';
export {
  ClassifierFeatures,
  classifierStats,
  compareEmbeddings,
} from './metrics/classifier-features.js';
export type { FldResult } from './metrics/fld.js';
export { FrechetLeNet, lenetWeights } from './metrics/fld.js';
export type { GaussianStats, SquareLike, VectorLike } from './metrics/frechet.js';
export { frechetDistance, frechetFromSamples, gaussianStats } from './metrics/frechet.js';
export { LeNet } from './metrics/lenet.js';
export { sqrtmPsd, symmetricEigen } from './metrics/linalg.js';
export type { MmdOptions } from './metrics/mmd.js';
export { energyDistance, HELD_OUT_MMD_POINTS, heldOutMmd, mmd } from './metrics/mmd.js';
export type { MnistSampleMetrics, MnistSampleMetricsOptions } from './metrics/mnist-quality.js';
export { mnistSampleMetrics } from './metrics/mnist-quality.js';
export type { ModeMetrics, ModeOptions } from './metrics/modes.js';
export { modeMetrics } from './metrics/modes.js';
export type { Points } from './metrics/points.js';
export { MetricError } from './metrics/points.js';
export type { PrecisionRecall, PrecisionRecallOptions } from './metrics/precision-recall.js';
export { precisionRecall } from './metrics/precision-recall.js';
export type { IdxFileData, IdxFiles, ImageDataset, LoadOptions } from './mnist.js';
export { DatasetNotFoundError, FASHION_MNIST_CLASSES, fashionMnist, mnist } from './mnist.js';
export {
  DataBudgetError,
  DataReadError,
  EmptyDataError,
  ImageDecodeError,
  NpyFormatError,
  TableFormatError,
} from './own-data/errors.js';
export type {
  ImageEntry,
  ImageFolderData,
  ImageReadOptions,
} from './own-data/images.js';
export {
  DEFAULT_IMAGE_FILE_BYTES,
  DEFAULT_IMAGE_MEMORY_BYTES,
  DEFAULT_MAX_IMAGE_PIXELS,
  IMAGE_EXTENSIONS,
  readImageFiles,
  readImageFolder,
} from './own-data/images.js';
export type {
  NpyArray,
  NpyDataMap,
  NpyDType,
  NpyReadOptions,
  NpyToTensorOptions,
} from './own-data/npy.js';
export { npyToTensor, parseNpy, parseNpz, readNpy, readNpz } from './own-data/npy.js';
export type { ReadPointsOptions, RowSplit } from './own-data/points.js';
export { readPoints, splitRows } from './own-data/points.js';
export type { DataBytes, DataSource, NamedData } from './own-data/source.js';
export type { PointTable, PointTableOptions, TableDelimiter } from './own-data/table.js';
export { DEFAULT_TABLE_MAX_BYTES, parsePointTable, readPointTable } from './own-data/table.js';
export type { TextFiles, TextFilesOptions } from './own-data/text-files.js';
export { DEFAULT_TEXT_MAX_BYTES, readTextFiles } from './own-data/text-files.js';
export type { Bounds, HeatmapOptions, RGB, ScatterOptions, ScatterSet } from './plot.js';
export { densityHeatmap, NAMED_COLORS, parseColor, scatterPlot, viridis } from './plot.js';
export type { ImageGridOptions, ImageRange, RasterImage } from './png.js';
export { encodePng, imageGrid, PictureError, toByte } from './png.js';
export { writePng, writePngGrid } from './png-file.js';
export type {
  Seq2seqBatch,
  Seq2seqBatchOptions,
  Seq2seqExample,
  Seq2seqOptions,
  Seq2seqTaskName,
  Seq2seqVocab,
} from './seq2seq.js';
export {
  SEQ2SEQ_SPECIALS,
  Seq2seqError,
  Seq2seqTask,
  seq2seqBatch,
  seq2seqHash,
  seq2seqTarget,
  seq2seqTask,
  seq2seqVocab,
} from './seq2seq.js';
export type {
  CharTokenizerJSON,
  SequentialTextBatch,
  TextBatch,
  TextCorpusOptions,
} from './text.js';
export { CharTokenizer, CorpusError, SPECIAL_TOKENS, TextCorpus, TokenizerError } from './text.js';
export type { MixtureToyName, ToyMixture, ToyName } from './toy.js';
export { TOY_ENTROPY, TOY_NAMES, ToyDataError, toyData, toyMixture } from './toy.js';
export type { DensityToyName } from './toy-density.js';
export { toyLogDensity } from './toy-density.js';
