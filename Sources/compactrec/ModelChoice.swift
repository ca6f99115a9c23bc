import ArgumentParser
import CompactRecKit

/// The trainable models and their shared hyper-parameter options.
enum ModelChoice: String, CaseIterable, ExpressibleByArgument {
  case mostpop
  case mfBPR = "mf-bpr"
  case lightgcn
  case nextitnet
  case gru4rec
  case sasrec

  init?(argument: String) {
    switch argument.lowercased() {
    case "mostpop", "pop": self = .mostpop
    case "mf-bpr", "mf", "bpr", "mfbpr": self = .mfBPR
    case "lightgcn", "lgcn": self = .lightgcn
    case "nextitnet": self = .nextitnet
    case "gru4rec", "gru": self = .gru4rec
    case "sasrec": self = .sasrec
    default: return nil
    }
  }

  /// Whether training writes checkpoints and can resume (every trained model).
  var checkpoints: Bool { self != .mostpop }

  /// The sequence encoder, for the sequential models.
  var architecture: SequentialArchitecture? { SequentialArchitecture(rawValue: rawValue) }

  static var allValueStrings: [String] { allCases.map(\.rawValue) }

  /// The model's own epochs, batch size, learning rate and L2 (weight decay for sequential
  /// models) when the command line gives none: the library's defaults, those of a fine-tune
  /// for LightGCN runs with `fineTune` (a warm start or --bits).
  func defaults(fineTune: Bool) -> (epochs: Int, batchSize: Int, lr: Float, l2: Float) {
    switch self {
    case .mostpop: return (0, 0, 0, 0)
    case .mfBPR:
      let c = MatrixFactorization.Configuration()
      return (c.epochs, c.batchSize, c.learningRate, c.l2)
    case .lightgcn:
      let c = fineTune ? LightGCN.Configuration.fineTune : LightGCN.Configuration()
      return (c.epochs, c.batchSize, c.learningRate, c.l2)
    case .nextitnet, .gru4rec, .sasrec:
      let c = SequentialConfiguration(architecture: .nextitnet)
      return (400, c.batchSize, c.learningRate, c.weightDecay)
    }
  }
}

/// A trained model, the data it was trained on, and what training did.
struct TrainingOutcome {
  var model: any PersistableModel
  var trainedOn: Dataset
  /// The validation run's summary (nil for models that do not report one).
  var summary: TrainingSummary?
  /// With `--refit`: the epochs of the refit on all the training data.
  var refitEpochs: Int?

  /// The summary for `--json` output and the model file's metadata.
  var json: JSONValue {
    var out = summary?.json.objectValue ?? [:]
    out["refit_epochs"] = refitEpochs.map { .number(Double($0)) } ?? .null
    return .object(out)
  }
}

/// Trains `choice` on `dataset`. A validation split is carved from training (seeded) when the
/// data has none and early stopping is on, so the test set never steers training.
/// With `checkpoint`, the run is saved after every epoch and can be resumed. With `--refit`,
/// the model is then trained again on all of `dataset`'s training and validation items for
/// the epochs validation chose (its own checkpoint is `checkpoint` with `.refit` appended).
func trainModel(
  _ choice: ModelChoice, on dataset: Dataset, options: TrainingOptions, checkpoint: CheckpointOptions? = nil,
  observer: TrainingObserver?
) throws -> TrainingOutcome {
  /// The data with a carved validation split when early stopping needs one, and whether to use it.
  func withValidation() -> (Dataset, evaluateEvery: Int) {
    var data = dataset
    if options.evalEveryValue(for: choice) > 0 && options.validationValue > 0
      && !data.validation.contains(where: { !$0.isEmpty })
    {
      data = data.carvingValidation(
        fraction: options.validationValue, seed: options.validationSeed ?? options.seedValue)
    }
    return (data, data.validation.contains { !$0.isEmpty } ? options.evalEveryValue(for: choice) : 0)
  }
  /// The shared settings from the command line (learning rate and L2 default to the model's).
  func configured<R: BPRRecipe>(_ recipe: R, evaluateEvery: Int) -> R {
    var c = recipe
    c.dim = options.dimValue
    c.epochs = options.epochs ?? c.epochs
    c.batchSize = options.batchSize ?? c.batchSize
    c.learningRate = options.lr ?? c.learningRate
    c.l2 = options.l2 ?? c.l2
    c.seed = options.seedValue
    c.evaluateEvery = evaluateEvery
    c.patience = options.patienceValue
    c.sampling = options.sampling ?? c.sampling
    c.schedule = options.lrSchedule ?? c.schedule
    return c
  }
  /// Refuses a run whose estimated peak memory is beyond this machine's.
  func checkMemory(_ bytes: Double) throws {
    guard bytes > MachineMemory.bytes else { return }
    throw UsageFailure(
      "this run would need about \(MachineMemory.format(bytes)) of memory, more than this machine's \(MachineMemory.format(MachineMemory.bytes)); lower --dim, --batch-size or --max-length"
    )
  }
  /// Runs `train` on the validation data and, with `--refit`, again on all of `dataset`.
  func trainAndRefit<R: BPRRecipe>(
    _ c: R, on data: Dataset,
    _ train: (Dataset, R, CheckpointOptions?) throws -> (any PersistableModel, TrainingSummary?)
  ) throws -> TrainingOutcome {
    let (model, summary) = try train(data, c, checkpoint)
    // Without a validated stopping point (no validation items) the model has seen everything.
    guard options.refit, let summary, summary.bestEpoch != nil else {
      return TrainingOutcome(model: model, trainedOn: data, summary: summary)
    }
    let refit = c.refit(after: summary)
    let refitCheckpoint = checkpoint.map { CheckpointOptions(path: $0.path + ".refit", resume: $0.resume) }
    let everything = dataset.mergingValidation()
    let (refitted, _) = try train(everything, refit, refitCheckpoint)
    return TrainingOutcome(model: refitted, trainedOn: everything, summary: summary, refitEpochs: refit.stopAfter)
  }
  switch choice {
  case .mostpop:
    return TrainingOutcome(model: MostPop(dataset: dataset), trainedOn: dataset)
  case .mfBPR:
    let (data, evaluateEvery) = withValidation()
    let c = configured(MatrixFactorization.Configuration(), evaluateEvery: evaluateEvery)
    try checkMemory(
      c.estimatedTrainingBytes(
        users: data.userCount, items: data.itemCount, interactions: data.summary.interactions, layers: 0))
    return try trainAndRefit(c, on: data) { data, c, checkpoint in
      let model = try MatrixFactorization.train(on: data, configuration: c, checkpoint: checkpoint, observer: observer)
      return (model, model.summary)
    }
  case .lightgcn:
    let (data, evaluateEvery) = withValidation()
    var c = configured(
      options.isFineTune ? LightGCN.Configuration.fineTune : LightGCN.Configuration(), evaluateEvery: evaluateEvery)
    c.layers = options.layersValue
    c.precision = options.propagationPrecision ?? c.precision
    c.quantization = options.quantization
    c.negatives = options.negatives ?? c.negatives
    if let initialization = options.initialization {
      c.spectralStart = initialization == .spectral ? SpectralStart() : nil
    }
    try checkMemory(
      c.estimatedTrainingBytes(
        users: data.userCount, items: data.itemCount, interactions: data.summary.interactions, layers: c.layers))
    if let path = options.warmStart {
      c.warmStart = try warmStartEmbeddings(from: path, dataset: data, dim: c.dim)
      c.warmStartRotation = options.rotation
    }
    return try trainAndRefit(c, on: data) { data, c, checkpoint in
      let model = try LightGCN.train(on: data, configuration: c, checkpoint: checkpoint, observer: observer)
      return (model.deployable(), model.summary)
    }
  case .nextitnet, .gru4rec, .sasrec:
    // Validation is the data's own (leave-one-out: each user's second-to-last item); items
    // are not carved out of a sequence. Without one, training runs all --epochs.
    let evaluateEvery = dataset.validation.contains { !$0.isEmpty } ? options.evalEveryValue(for: choice) : 0
    let c = options.sequentialConfiguration(choice.architecture!, evaluateEvery: evaluateEvery)
    try checkMemory(c.estimatedTrainingBytes(items: dataset.itemCount))
    let model = try trainSequential(on: dataset, configuration: c, checkpoint: checkpoint, observer: observer)
    return TrainingOutcome(model: model, trainedOn: dataset, summary: model.summary)
  }
}

extension PropagationPrecision: ExpressibleByArgument {}
extension WarmStartRotation: ExpressibleByArgument {}
extension SequentialLoss: ExpressibleByArgument {}
extension PositiveSampling: ExpressibleByArgument {}
extension SequentialArchitecture: ExpressibleByArgument {}

extension LearningRateSchedule: ExpressibleByArgument {}

extension NegativeSampling: ExpressibleByArgument {
  public init?(argument: String) { self.init(argument) }
  public var defaultValueDescription: String { description }
}

/// The `--init` values.
enum InitializationChoice: String, ExpressibleByArgument, CaseIterable {
  case gaussian
  case spectral
}

/// The `--estimator` values.
enum EstimatorChoice: String, ExpressibleByArgument, CaseIterable {
  case ste
  case gste
}

/// The layer-0 embeddings saved in a LightGCN checkpoint: its best snapshot when it has one,
/// else its current embeddings, `dim` wide or narrower (training maps them to `dim`, see
/// `WarmStartRotation`). Refuses checkpoints of other models, data or a larger width.
func warmStartEmbeddings(from path: String, dataset: Dataset, dim: Int) throws -> Matrix {
  let file = try ModelFile.read(from: path)
  guard file.kind == "checkpoint", file.hyperParameters["model"] == "lightgcn" else {
    throw UsageFailure("--warm-start: \(path) is not a LightGCN checkpoint")
  }
  guard file.dataFingerprint == dataset.fingerprint() else {
    throw UsageFailure("--warm-start: \(path) was trained on other data (or another validation split)")
  }
  let rows = dataset.userCount + dataset.itemCount
  let name = file.tensors.contains { $0.name == "best/embedding" } ? "best/embedding" : "embedding/value"
  let saved = file.tensors.first { $0.name == name }?.shape
  let width = saved?.count == 2 && saved![1] < dim ? saved![1] : dim
  do {
    return try file.matrix(name, rows: rows, cols: width)
  } catch {
    throw UsageFailure("--warm-start: \(path) does not hold \(rows) x \(dim) (or narrower) embeddings (\(error))")
  }
}
