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

  /// The sequence encoder, for the sequential models.
  var architecture: SequentialArchitecture? { SequentialArchitecture(rawValue: rawValue) }

  static var allValueStrings: [String] { allCases.map(\.rawValue) }

  /// The model's own learning rate and L2 when the command line gives none.
  var defaultRecipe: (lr: Float, l2: Float) {
    switch self {
    case .mostpop: return (0, 0)
    case .mfBPR:
      let c = MatrixFactorization.Configuration()
      return (c.learningRate, c.l2)
    case .lightgcn:
      let c = LightGCN.Configuration()
      return (c.learningRate, c.l2)
    case .nextitnet, .gru4rec, .sasrec:
      let c = SequentialConfiguration(architecture: .nextitnet)
      return (c.learningRate, c.weightDecay)
    }
  }

  /// Training examples per optimizer step when the command line gives none.
  var defaultBatchSize: Int { architecture == nil ? 2048 : SequentialConfiguration(architecture: .sasrec).batchSize }
}

/// Hyper-parameters common to the trainable models; each model reads what applies to it.
struct TrainingOptions: ParsableArguments {
  @Option(help: "Embedding width.")
  var dim: Int = 64

  @Option(help: "Maximum training epochs.")
  var epochs: Int = 400

  @Option(
    name: .customLong("batch-size"),
    help: "Examples per optimizer step: triples (default 2048) or sequences (default 128, sequential models).")
  var batchSize: Int?

  @Option(
    help: "Adam learning rate (default: the model's own, 5e-3 for mf-bpr and lightgcn, 1e-3 for sequential models).")
  var lr: Float?

  @Option(
    help:
      "L2 coefficient on the batch's embeddings (default: the model's own, 1e-2 for mf-bpr, 1e-4 for lightgcn); for sequential models, decoupled (AdamW) weight decay, default 0."
  )
  var l2: Float?

  @Option(name: .customLong("max-length"), help: "Sequential models: positions per training window and scored history.")
  var maxLength: Int = 50

  @Option(help: "Sequential models: dropout rate (GRU4Rec input, SASRec embeddings and blocks).")
  var dropout: Float = 0.2

  @Option(help: "NextItNet: the dilation of each residual block, comma separated.")
  var dilations: String = NextItNet.defaultDilations.map(String.init).joined(separator: ",")

  @Option(help: "SASRec: transformer blocks.")
  var blocks: Int = 2

  @Option(help: "SASRec: attention heads (a divisor of --dim).")
  var heads: Int = 1

  @Option(name: .customLong("gru-layers"), help: "GRU4Rec: stacked GRU layers.")
  var gruLayers: Int = 1

  @Option(help: "Sequential models: global gradient-norm limit (0: none).")
  var clip: Float = 5

  @Flag(
    name: .customLong("tie-output"),
    help:
      "Sequential models: the output softmax reuses the item embedding table (as SASRec does); not with --blockwise."
  )
  var tieOutput = false

  @Option(
    help:
      "Sequential models: training loss, softmax (cross-entropy over every item) or bce (SASRec's: the target against one sampled negative per position)."
  )
  var loss: SequentialLoss = .softmax

  @OptionGroup var compression: CompressionOptions

  /// The parsed `--dilations`.
  var dilationList: [Int] {
    dilations.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
  }

  @Option(help: "LightGCN propagation layers.")
  var layers: Int = 3

  @Option(
    name: .customLong("propagation-precision"),
    help: "LightGCN: storage of propagated layers in training steps, float16 (faster) or float32.")
  var propagationPrecision: PropagationPrecision = .float16

  @Option(help: "LightGCN: train on final embeddings quantized to this many bits (1, 2, 3, 4 or 8; HQ-GNN).")
  var bits: Int?

  @Option(help: "With --bits: gradient estimator across the quantizer, ste or gste (Hessian-aware).")
  var estimator: EstimatorChoice = .gste

  @Option(
    name: .customLong("gste-delta"), help: "With --estimator gste: a fixed delta instead of the Hessian estimate.")
  var gsteDelta: Float?

  @Option(
    name: .customLong("warm-start"),
    help:
      "LightGCN: start from the layer-0 embeddings of a LightGCN checkpoint (its best snapshot) trained on the same data, --dim wide or narrower, mapped by --warm-start-rotation."
  )
  var warmStart: String?

  @Option(
    name: .customLong("warm-start-rotation"),
    help:
      "With --warm-start: map the start by none (as is; a narrower one widened by a random orthogonal projection) or itq (the map fitted to the signs of its final embeddings); either keeps its scores. (default: itq with --bits 1, else none)"
  )
  var warmStartRotation: WarmStartRotation?

  /// `--warm-start-rotation`, or its default: ITQ for 1-bit codes, whose signs it is fitted to.
  var rotation: WarmStartRotation { warmStartRotation ?? (bits == 1 ? .itq : .none) }

  @Option(name: .customLong("hessian-every"), help: "With --estimator gste: steps between Hessian estimates of delta.")
  var hessianEvery: Int = 100

  /// The quantization settings the options ask for, if any.
  var quantization: QuantizationSettings? {
    guard let bits else { return nil }
    switch estimator {
    case .ste: return QuantizationSettings(bits: bits, estimator: .ste)
    case .gste:
      if let gsteDelta { return QuantizationSettings(bits: bits, estimator: .gsteFixed(delta: gsteDelta)) }
      return QuantizationSettings(bits: bits, estimator: .gste(refreshEvery: hessianEvery, probes: 4))
    }
  }

  @Option(
    help:
      "How epochs draw (user, positive) pairs: interactions (each once) or users (a uniform user, then one of its items, as the LightGCN reference code)."
  )
  var sampling: PositiveSampling = .interactions

  @Option(help: "Random seed for initialization and sampling.")
  var seed: UInt64 = 2020

  @Option(
    help:
      "Fraction of each user's training items held out for validation when the data has no validation split (0: none)."
  )
  var validation: Double = 0.1

  @Option(
    name: .customLong("validation-seed"),
    help: "Seed of the carved validation split (default: --seed); fix it to compare seeds on one split.")
  var validationSeed: UInt64?

  @Option(name: .customLong("eval-every"), help: "Evaluate on validation every N epochs for early stopping (0: never).")
  var evalEvery: Int = 5

  @Option(help: "Validation runs without improvement before stopping.")
  var patience: Int = 5

  func validate() throws {
    guard dim > 0, epochs > 0, (batchSize ?? 1) > 0, (lr ?? 1) > 0, (l2 ?? 0) >= 0, patience > 0, evalEvery >= 0,
      layers >= 0
    else {
      throw ValidationError(
        "--dim, --epochs, --batch-size, --lr and --patience must be positive; --l2, --layers and --eval-every non-negative"
      )
    }
    guard validation >= 0, validation < 1 else { throw ValidationError("--validation must be in [0, 1)") }
    if let bits, !RowQuantizer.supportedBits.contains(bits) {
      throw ValidationError("--bits must be one of 1, 2, 3, 4, 8 (got \(bits))")
    }
    guard hessianEvery > 0 else { throw ValidationError("--hessian-every must be positive") }
    let d = dilationList
    guard !d.isEmpty, d.count == dilations.split(separator: ",").count, d.allSatisfy({ $0 > 0 }) else {
      throw ValidationError("--dilations must be positive integers, comma separated (got \(dilations))")
    }
    guard maxLength > 0, blocks > 0, heads > 0, dim % heads == 0, gruLayers > 0, clip >= 0, dropout >= 0, dropout < 1
    else {
      throw ValidationError(
        "--max-length, --blocks, --heads and --gru-layers must be positive, --dim a multiple of --heads, --clip non-negative and --dropout in [0, 1)"
      )
    }
  }

  /// The hyper-parameters as printed and stored (reproducible from these and the seed).
  func summary(for choice: ModelChoice) -> [String: JSONValue] {
    if choice == .mostpop { return [:] }
    var out: [String: JSONValue] = [
      "dim": .number(Double(dim)), "epochs": .number(Double(epochs)),
      "batch_size": .number(Double(batchSize ?? choice.defaultBatchSize)),
      "lr": .number(Double(lr ?? choice.defaultRecipe.lr)), "l2": .number(Double(l2 ?? choice.defaultRecipe.l2)),
      "seed": .number(Double(seed)), "validation": .number(validation),
      "validation_seed": .number(Double(validationSeed ?? seed)), "eval_every": .number(Double(evalEvery)),
      "patience": .number(Double(patience)), "sampling": .string(sampling.rawValue),
    ]
    if let architecture = choice.architecture {
      let c = sequentialConfiguration(architecture, evaluateEvery: evalEvery)
      out["l2"] = nil
      out["sampling"] = nil
      out["validation"] = nil
      out["validation_seed"] = nil
      out["weight_decay"] = .number(Double(c.weightDecay))
      out["max_length"] = .number(Double(c.maxLength))
      out["dropout"] = .number(Double(c.dropout))
      out["clip"] = .number(Double(c.clipNorm ?? 0))
      switch architecture {
      case .nextitnet: out["dilations"] = .array(c.dilations.map { .number(Double($0)) })
      case .gru4rec: out["gru_layers"] = .number(Double(c.gruLayers))
      case .sasrec:
        out["blocks"] = .number(Double(c.blocks))
        out["heads"] = .number(Double(c.heads))
      }
      out["tie_output"] = .bool(c.tiedOutput)
      out["loss"] = .string(c.loss.rawValue)
      out.merge(compression.summary) { $1 }
    }
    if choice == .lightgcn {
      out["layers"] = .number(Double(layers))
      out["propagation_precision"] = .string(propagationPrecision.rawValue)
      if let q = quantization {
        out["bits"] = .number(Double(q.bits))
        out["estimator"] = .string("\(q.estimator)")
      }
      if let warmStart {
        out["warm_start"] = .string(warmStart)
        out["warm_start_rotation"] = .string(rotation.rawValue)
      }
    }
    return out
  }
}

extension TrainingOptions {
  /// The sequential model settings the options ask for.
  func sequentialConfiguration(_ architecture: SequentialArchitecture, evaluateEvery: Int) -> SequentialConfiguration {
    var c = SequentialConfiguration(architecture: architecture)
    c.dim = dim
    c.epochs = epochs
    c.batchSize = batchSize ?? c.batchSize
    c.learningRate = lr ?? c.learningRate
    c.weightDecay = l2 ?? c.weightDecay
    c.clipNorm = clip > 0 ? clip : nil
    c.maxLength = maxLength
    c.dropout = dropout
    c.dilations = dilationList
    c.blocks = blocks
    c.heads = heads
    c.gruLayers = gruLayers
    c.seed = seed
    c.evaluateEvery = evaluateEvery
    c.patience = patience
    c.tiedOutput = tieOutput
    c.loss = loss
    compression.apply(to: &c)
    return c
  }
}

/// Trains `choice` on `dataset`. A validation split is carved from training (seeded) when the
/// data has none and early stopping is on, so the test set never steers training.
/// With `checkpoint`, the run is saved after every epoch and can be resumed.
func trainModel(
  _ choice: ModelChoice, on dataset: Dataset, options: TrainingOptions, checkpoint: CheckpointOptions? = nil,
  observer: TrainingObserver?
) throws -> (model: any PersistableModel, trainedOn: Dataset) {
  /// The data with a carved validation split when early stopping needs one, and whether to use it.
  func withValidation() -> (Dataset, evaluateEvery: Int) {
    var data = dataset
    if options.evalEvery > 0 && options.validation > 0 && !data.validation.contains(where: { !$0.isEmpty }) {
      data = data.carvingValidation(fraction: options.validation, seed: options.validationSeed ?? options.seed)
    }
    return (data, data.validation.contains { !$0.isEmpty } ? options.evalEvery : 0)
  }
  /// The shared settings from the command line (learning rate and L2 default to the model's).
  func configured<R: BPRRecipe>(_ recipe: R, evaluateEvery: Int) -> R {
    var c = recipe
    c.dim = options.dim
    c.epochs = options.epochs
    c.batchSize = options.batchSize ?? choice.defaultBatchSize
    c.learningRate = options.lr ?? c.learningRate
    c.l2 = options.l2 ?? c.l2
    c.seed = options.seed
    c.evaluateEvery = evaluateEvery
    c.patience = options.patience
    c.sampling = options.sampling
    return c
  }
  switch choice {
  case .mostpop:
    return (MostPop(dataset: dataset), dataset)
  case .mfBPR:
    let (data, evaluateEvery) = withValidation()
    let c = configured(MatrixFactorization.Configuration(), evaluateEvery: evaluateEvery)
    return (try MatrixFactorization.train(on: data, configuration: c, checkpoint: checkpoint, observer: observer), data)
  case .lightgcn:
    let (data, evaluateEvery) = withValidation()
    var c = configured(LightGCN.Configuration(), evaluateEvery: evaluateEvery)
    c.layers = options.layers
    c.precision = options.propagationPrecision
    c.quantization = options.quantization
    if let path = options.warmStart {
      c.warmStart = try warmStartEmbeddings(from: path, dataset: data, dim: c.dim)
      c.warmStartRotation = options.rotation
    }
    return (
      try LightGCN.train(on: data, configuration: c, checkpoint: checkpoint, observer: observer).deployable(), data
    )
  case .nextitnet, .gru4rec, .sasrec:
    // Validation is the data's own (leave-one-out: each user's second-to-last item); items
    // are not carved out of a sequence. Without one, training runs all --epochs.
    let evaluateEvery = dataset.validation.contains { !$0.isEmpty } ? options.evalEvery : 0
    let c = options.sequentialConfiguration(choice.architecture!, evaluateEvery: evaluateEvery)
    return (try trainSequential(on: dataset, configuration: c, observer: observer), dataset)
  }
}

extension PropagationPrecision: ExpressibleByArgument {}
extension WarmStartRotation: ExpressibleByArgument {}
extension SequentialLoss: ExpressibleByArgument {}
extension PositiveSampling: ExpressibleByArgument {}
extension SequentialArchitecture: ExpressibleByArgument {}

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
    throw ValidationError("--warm-start: \(path) is not a LightGCN checkpoint")
  }
  guard file.dataFingerprint == dataset.fingerprint() else {
    throw ValidationError("--warm-start: \(path) was trained on other data (or another validation split)")
  }
  let rows = dataset.userCount + dataset.itemCount
  let name = file.tensors.contains { $0.name == "best/embedding" } ? "best/embedding" : "embedding/value"
  let saved = file.tensors.first { $0.name == name }?.shape
  let width = saved?.count == 2 && saved![1] < dim ? saved![1] : dim
  do {
    return try file.matrix(name, rows: rows, cols: width)
  } catch {
    throw ValidationError("--warm-start: \(path) does not hold \(rows) x \(dim) (or narrower) embeddings (\(error))")
  }
}
