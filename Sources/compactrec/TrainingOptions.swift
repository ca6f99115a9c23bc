import ArgumentParser
import CompactRecKit

/// Hyper-parameters of the trainable models. Every option is optional so that one given to a
/// model it does not apply to is refused (`check(for:)`) rather than silently ignored; the
/// defaults are stated in the help and applied where the options are read.
struct TrainingOptions: ParsableArguments {
  @Option(help: "Embedding width (default 128 for lightgcn trained from its own start, else 64).")
  var dim: Int?

  @Option(
    help:
      "Maximum training epochs, the length of the learning rate's course (default 200 for lightgcn trained from its own start, else 400)."
  )
  var epochs: Int?

  @Option(
    name: .customLong("batch-size"),
    help:
      "Examples per optimizer step: triples (default 32768 for lightgcn trained from its own start, 2048 for mf-bpr and LightGCN fine-tunes) or sequences (default 128, sequential models)."
  )
  var batchSize: Int?

  @Option(
    help:
      "Adam learning rate (default: the model's own, 1e-2 for lightgcn trained from its own start, 5e-3 for mf-bpr and LightGCN fine-tunes, 1e-3 for sequential models)."
  )
  var lr: Float?

  @Option(
    help:
      "L2 coefficient on the batch's embeddings (default: the model's own, 1e-2 for mf-bpr, 1e-4 for lightgcn); for sequential models, decoupled (AdamW) weight decay, default 0."
  )
  var l2: Float?

  @Option(
    name: .customLong("max-length"),
    help: "Sequential models: positions per training window and scored history (default 50).")
  var maxLength: Int?

  @Option(help: "GRU4Rec and SASRec: dropout rate (GRU4Rec input, SASRec embeddings and blocks; default 0.2).")
  var dropout: Float?

  @Option(help: "NextItNet: the dilation of each residual block, comma separated (default 1,2,4,8,1,2,4,8).")
  var dilations: String?

  @Option(help: "SASRec: transformer blocks (default 2).")
  var blocks: Int?

  @Option(help: "SASRec: attention heads, a divisor of --dim (default 1).")
  var heads: Int?

  @Option(name: .customLong("gru-layers"), help: "GRU4Rec: stacked GRU layers (default 1).")
  var gruLayers: Int?

  @Option(help: "Sequential models: global gradient-norm limit, 0 for none (default 5).")
  var clip: Float?

  @Flag(
    name: .customLong("tie-output"),
    help:
      "Sequential models: the output softmax reuses the item embedding table (as SASRec does); not with --blockwise."
  )
  var tieOutput = false

  @Option(
    help:
      "Training loss. Sequential models: softmax (cross-entropy over every item, the default) or bce (SASRec's: the target against one sampled negative per position). LightGCN: bpr (the default) or softmax:N:T[:dot] (sampled softmax over cosines, or dot products with :dot, against N negatives shared by the batch, at temperature T; float models only)."
  )
  var loss: LossOption?

  @OptionGroup var compression: CompressionOptions

  @Option(help: "LightGCN: propagation layers (default 3).")
  var layers: Int?

  @Option(
    name: .customLong("propagation-precision"),
    help: "LightGCN: storage of propagated layers in training steps, float16 (faster, the default) or float32.")
  var propagationPrecision: PropagationPrecision?

  @Option(
    help:
      "LightGCN: train on final embeddings quantized to this many bits (1, 2, 3, 4 or 8; HQ-GNN). Sequential models: train their item tables (input and output, each block's under --blockwise) quantized to this many bits; the model file stores their codes."
  )
  var bits: Int?

  @Option(
    name: .customLong("step-bits"),
    help:
      "LightGCN with --bits or --block-bits: store each row's step in 8 bits on a log scale instead of 32 (1 bit at d = 256: 33 bytes per item instead of 36); rounded after training."
  )
  var stepBits: Int?

  @Option(
    name: .customLong("block-bits"),
    help:
      "Sequential models with --blockwise: the bits of each frequency block's item tables, head first, comma separated (e.g. 8,4,2); full tables take --bits (default: the widest). LightGCN: cut users and items into frequency blocks (--block-shares or --block-cutoffs) and train each block's final embeddings at its width, head first (up to 4 blocks; e.g. 4,1)."
  )
  var blockBits: String?

  @Option(
    name: .customLong("user-block-bits"),
    help:
      "LightGCN with --block-bits: the users' widths, one for every user or one per frequency block, head first (default: --block-bits)."
  )
  var userBlockBits: String?

  @Option(
    help:
      "With --bits: gradient estimator across the quantizer, ste or gste (LightGCN: Hessian-aware, the default; sequential models: ste is the default, gste needs --gste-delta)."
  )
  var estimator: EstimatorChoice?

  @Option(
    name: .customLong("gste-delta"), help: "With --estimator gste: a fixed delta instead of the Hessian estimate.")
  var gsteDelta: Float?

  @Option(
    name: .customLong("warm-start"),
    help:
      "LightGCN: start from the layer-0 embeddings of a LightGCN checkpoint (its best snapshot) trained on the same data, --dim wide or narrower, mapped by --warm-start-rotation. Sequential models: start from a model file of the same network trained on the same data (for instance a float model, to quantize with --bits)."
  )
  var warmStart: String?

  @Option(
    name: .customLong("warm-start-rotation"),
    help:
      "With --warm-start: map the start by none (as is; a narrower one widened by a random orthogonal projection) or itq (the map fitted to the signs of its final embeddings); either keeps its scores. (default: itq when 1-bit rows are trained, with --bits 1 or a 1 in --block-bits; else none)"
  )
  var warmStartRotation: WarmStartRotation?

  @Option(
    name: .customLong("hessian-every"),
    help: "With --estimator gste: steps between Hessian estimates of delta (default 100).")
  var hessianEvery: Int?

  @Option(
    help:
      "mf-bpr and lightgcn: how epochs draw (user, positive) pairs: interactions (each once, the default) or users (a uniform user, then one of its items, as the LightGCN reference code)."
  )
  var sampling: PositiveSampling?

  @Option(
    name: .customLong("init"),
    help:
      "LightGCN: the layer-0 start, gaussian (noise of deviation 0.1) or spectral (the graph's leading singular vectors, scaled so that the propagated scores are the truncated SVD's; the default without --warm-start or --bits)."
  )
  var initialization: InitializationChoice?

  @Option(
    name: .customLong("lr-schedule"),
    help:
      "mf-bpr and lightgcn: the learning rate's course over --epochs, constant, cosine or linear (down to 1% of --lr) (default cosine for lightgcn trained from its own start, else constant)."
  )
  var lrSchedule: LearningRateSchedule?

  @Option(
    help:
      "LightGCN: how each triple's negative is drawn, uniform, dns:N[:E] (dynamic negative sampling: the highest-scored of N uniform draws, scored by the model at the start of the epoch; with E, for the first E epochs only) or pop:A (in proportion to (training users + 1)^A, A between -2 and 2, not 0) (default uniform)."
  )
  var negatives: NegativeSampling?

  @Flag(
    inversion: .prefixedNo,
    help:
      "mf-bpr and lightgcn: after the validation run, train again on all the training data (validation items included) for the epochs validation chose, on the same learning-rate course, and keep that model (default: on for lightgcn trained from its own start, off for fine-tunes and mf-bpr)."
  )
  var refit: Bool?

  @Option(help: "Random seed for initialization and sampling (default 2020).")
  var seed: UInt64?

  @Option(
    help:
      "mf-bpr and lightgcn: fraction of each user's training items held out for validation when the data has no validation split, 0 for none (default 0.1)."
  )
  var validation: Double?

  @Option(
    name: .customLong("validation-seed"),
    help: "Seed of the carved validation split (default: --seed); fix it to compare seeds on one split.")
  var validationSeed: UInt64?

  @Option(
    name: .customLong("eval-every"),
    help:
      "Evaluate on validation every N epochs for early stopping, 0 for never (default 20 for lightgcn trained from its own start, whose decaying rate puts its best epoch near the end; else 5)."
  )
  var evalEvery: Int?

  @Option(help: "Validation runs without improvement before stopping (default 5).")
  var patience: Int?

  // MARK: - The recipe

  /// Whether a LightGCN run fine-tunes (a warm start or quantization-aware training), and so
  /// starts from the library's fine-tune defaults instead of its fast recipe's.
  var isFineTune: Bool { warmStart != nil || bits != nil || blockBits != nil }

  /// The training recipe for `choice`: the library's defaults (a LightGCN fine-tune's with
  /// --warm-start, --bits or --block-bits), each option given put in its place.
  func recipe(for choice: ModelChoice) -> ModelRecipe {
    var recipe: ModelRecipe
    switch choice {
    case .mostpop: return ModelRecipe(.mostPopular)
    case .mfBPR: recipe = ModelRecipe(.matrixFactorization(shared(MatrixFactorization.Configuration())))
    case .lightgcn:
      var c = shared(isFineTune ? LightGCN.Configuration.fineTune : LightGCN.Configuration())
      c.layers = layers ?? c.layers
      c.precision = propagationPrecision ?? c.precision
      c.quantization = quantization(bits: bits ?? blockWidths?.max(), defaultEstimator: .gste)
      c.quantization?.stepBits = stepBits
      c.quantization?.blocks = blockWidths.map(compression.widthBlocks)
      c.quantization?.blocks?.userBits = userBlockBits.map(Self.widths)
      c.negatives = negatives ?? c.negatives
      c.loss = loss?.graph ?? c.loss
      if let initialization { c.spectralStart = initialization == .spectral ? SpectralStart() : nil }
      recipe = ModelRecipe(.lightGCN(c))
      recipe.warmStart = warmStart.map { ModelRecipe.WarmStart(checkpoint: $0, rotation: warmStartRotation) }
    case .nextitnet, .gru4rec, .sasrec:
      var sequential = ModelRecipe(.sequential(sequentialConfiguration(choice.architecture!)))
      sequential.warmStart = warmStart.map { ModelRecipe.WarmStart(checkpoint: $0) }
      return sequential
    }
    recipe.validationShare = validation ?? recipe.validationShare
    recipe.validationSeed = validationSeed
    recipe.refit = refit
    return recipe
  }

  /// `recipe` with the options every BPR-trained model shares put in place.
  private func shared<R: BPRRecipe>(_ recipe: R) -> R {
    var c = recipe
    c.dim = dim ?? c.dim
    c.epochs = epochs ?? c.epochs
    c.batchSize = batchSize ?? c.batchSize
    c.learningRate = lr ?? c.learningRate
    c.l2 = l2 ?? c.l2
    c.seed = seed ?? c.seed
    c.evaluateEvery = evalEvery ?? c.evaluateEvery
    c.patience = patience ?? c.patience
    c.sampling = sampling ?? c.sampling
    c.schedule = lrSchedule ?? c.schedule
    return c
  }

  /// The sequential model settings the options ask for.
  private func sequentialConfiguration(_ architecture: SequentialArchitecture) -> SequentialConfiguration {
    var c = SequentialConfiguration(architecture: architecture)
    c.dim = dim ?? c.dim
    c.epochs = epochs ?? c.epochs
    c.batchSize = batchSize ?? c.batchSize
    c.learningRate = lr ?? c.learningRate
    c.weightDecay = l2 ?? c.weightDecay
    c.clipNorm = clip.map { $0 > 0 ? $0 : nil } ?? c.clipNorm
    c.maxLength = maxLength ?? c.maxLength
    c.dropout = dropout ?? c.dropout
    c.dilations = dilationList ?? c.dilations
    c.blocks = blocks ?? c.blocks
    c.heads = heads ?? c.heads
    c.gruLayers = gruLayers ?? c.gruLayers
    c.seed = seed ?? c.seed
    c.evaluateEvery = evalEvery ?? c.evaluateEvery
    c.patience = patience ?? c.patience
    c.tiedOutput = tieOutput
    c.loss = loss?.sequential ?? c.loss
    c.quantization = quantization(bits: bits ?? blockWidths?.max(), defaultEstimator: .ste)
    c.blockBits = blockWidths
    compression.apply(to: &c)
    return c
  }

  /// The parsed `--block-bits`, when given.
  private var blockWidths: [Int]? { blockBits.map(Self.widths) }

  /// The widths of a comma-separated list.
  private static func widths(_ list: String) -> [Int] {
    list.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
  }

  /// The parsed `--dilations`, when given.
  private var dilationList: [Int]? {
    dilations?.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
  }

  /// The quantization settings the options ask for, if any, with `defaultEstimator` when
  /// --estimator is not given.
  private func quantization(bits: Int?, defaultEstimator: EstimatorChoice) -> QuantizationSettings? {
    guard let bits else { return nil }
    switch estimator ?? defaultEstimator {
    case .ste: return QuantizationSettings(bits: bits, estimator: .ste)
    case .gste:
      if let gsteDelta { return QuantizationSettings(bits: bits, estimator: .gsteFixed(delta: gsteDelta)) }
      guard let hessianEvery, case .gste(_, let probes) = GradientEstimator.hessianAware else {
        return QuantizationSettings(bits: bits)
      }
      return QuantizationSettings(bits: bits, estimator: .gste(refreshEvery: hessianEvery, probes: probes))
    }
  }

  // MARK: - Validation

  /// Every value within its range, each error naming its option.
  func validate() throws {
    try require(dim, "--dim", in: SettingLimits.dim)
    try require(epochs, "--epochs", in: SettingLimits.epochs)
    try require(batchSize, "--batch-size", in: SettingLimits.batchSize)
    try require(lr, "--lr", above: 0, atMost: 10)
    try require(l2, "--l2", from: 0, atMost: 100)
    try require(maxLength, "--max-length", in: SettingLimits.maxLength)
    try require(dropout, "--dropout", from: 0, below: 1)
    try require(blocks, "--blocks", in: SettingLimits.blocks)
    try require(heads, "--heads", in: SettingLimits.heads)
    try require(gruLayers, "--gru-layers", in: SettingLimits.gruLayers)
    try require(clip, "--clip", from: 0, atMost: 1e6)
    try require(layers, "--layers", in: SettingLimits.propagationLayers)
    try require(gsteDelta, "--gste-delta", from: 0, atMost: 1e6)
    try require(hessianEvery, "--hessian-every", in: 1...1_000_000_000)
    try require(validation, "--validation", from: 0, below: 1)
    try require(evalEvery, "--eval-every", in: 0...SettingLimits.epochs.upperBound)
    try require(patience, "--patience", in: 1...SettingLimits.epochs.upperBound)
    if let stepBits, stepBits != 8 { throw ValidationError("--step-bits must be 8 (got \(stepBits))") }
    for (option, list) in [("--block-bits", blockBits), ("--user-block-bits", userBlockBits)] {
      guard let list else { continue }
      let widths = list.split(separator: ",", omittingEmptySubsequences: false).map {
        Int($0.trimmingCharacters(in: .whitespaces))
      }
      guard widths.allSatisfy({ $0.map(RowQuantizer.supportedBits.contains) ?? false }) else {
        throw ValidationError("\(option) must be widths of 1, 2, 3, 4 or 8 bits, comma separated (got \(list))")
      }
    }
    if let bits, !RowQuantizer.supportedBits.contains(bits) {
      throw ValidationError("--bits must be one of 1, 2, 3, 4, 8 (got \(bits))")
    }
    if let dilations {
      let parts = dilations.split(separator: ",", omittingEmptySubsequences: false)
      let values = parts.map { Int($0.trimmingCharacters(in: .whitespaces)) }
      guard SettingLimits.dilationCount.contains(parts.count),
        values.allSatisfy({ $0.map(SettingLimits.dilation.contains) ?? false })
      else {
        throw ValidationError(
          "--dilations must be 1 to \(SettingLimits.dilationCount.upperBound) integers between 1 and \(SettingLimits.dilation.upperBound), comma separated (got \(dilations))"
        )
      }
    }
  }

  /// Refuses every option that does not apply to `choice` (for instance `--bits` for
  /// mf-bpr, or `--dilations` for SASRec), and options that need another one.
  func check(for choice: ModelChoice) throws {
    let trained: Set<ModelChoice> = [.mfBPR, .lightgcn, .nextitnet, .gru4rec, .sasrec]
    let bpr: Set<ModelChoice> = [.mfBPR, .lightgcn]
    let sequential: Set<ModelChoice> = [.nextitnet, .gru4rec, .sasrec]
    let rules: [(option: String, given: Bool, models: Set<ModelChoice>)] = [
      ("--dim", dim != nil, trained), ("--epochs", epochs != nil, trained),
      ("--batch-size", batchSize != nil, trained), ("--lr", lr != nil, trained), ("--l2", l2 != nil, trained),
      ("--seed", seed != nil, trained), ("--eval-every", evalEvery != nil, trained),
      ("--patience", patience != nil, trained),
      ("--sampling", sampling != nil, bpr), ("--lr-schedule", lrSchedule != nil, bpr),
      (refit == false ? "--no-refit" : "--refit", refit != nil, bpr),
      ("--init", initialization != nil, [.lightgcn]), ("--negatives", negatives != nil, [.lightgcn]),
      ("--validation", validation != nil, bpr),
      ("--validation-seed", validationSeed != nil, bpr),
      ("--layers", layers != nil, [.lightgcn]), ("--propagation-precision", propagationPrecision != nil, [.lightgcn]),
      ("--bits", bits != nil, sequential.union([.lightgcn])),
      ("--warm-start", warmStart != nil, sequential.union([.lightgcn])),
      ("--warm-start-rotation", warmStartRotation != nil, [.lightgcn]),
      ("--block-bits", blockBits != nil, sequential.union([.lightgcn])),
      ("--user-block-bits", userBlockBits != nil, [.lightgcn]),
      ("--step-bits", stepBits != nil, [.lightgcn]),
      ("--hessian-every", hessianEvery != nil, [.lightgcn]),
      ("--max-length", maxLength != nil, sequential), ("--clip", clip != nil, sequential),
      ("--tie-output", tieOutput, sequential), ("--loss", loss != nil, sequential.union([.lightgcn])),
      ("--dropout", dropout != nil, [.gru4rec, .sasrec]), ("--dilations", dilations != nil, [.nextitnet]),
      ("--blocks", blocks != nil, [.sasrec]), ("--heads", heads != nil, [.sasrec]),
      ("--gru-layers", gruLayers != nil, [.gru4rec]),
      ("--blockwise", compression.blockwise != nil, sequential),
      ("--sharing", compression.sharing != nil, [.nextitnet, .sasrec]),
    ]
    for rule in rules where rule.given && !rule.models.contains(choice) {
      let to = rule.models.map(\.rawValue).sorted().joined(separator: ", ")
      throw ValidationError("\(rule.option) does not apply to --model \(choice.rawValue) (it applies to: \(to))")
    }
    let needs: [(option: String, given: Bool, needed: String, present: Bool)] = [
      ("--estimator", estimator != nil, "--bits or --block-bits", bits != nil || blockBits != nil),
      ("--step-bits", stepBits != nil, "--bits or --block-bits", bits != nil || blockBits != nil),
      ("--user-block-bits", userBlockBits != nil, "--block-bits", blockBits != nil),
      ("--hessian-every", hessianEvery != nil, "--bits or --block-bits", bits != nil || blockBits != nil),
      ("--gste-delta", gsteDelta != nil, "--bits or --block-bits", bits != nil || blockBits != nil),
      ("--hessian-every", hessianEvery != nil, "--estimator gste", estimator != .ste),
      ("--gste-delta", gsteDelta != nil, "--estimator gste", estimator != .ste),
      ("--warm-start-rotation", warmStartRotation != nil, "--warm-start", warmStart != nil),
      (
        "--validation-seed", validationSeed != nil, "--validation above 0",
        validation ?? ModelRecipe(.mostPopular).validationShare > 0
      ),
    ]
    for rule in needs where rule.given && !rule.present {
      throw ValidationError("\(rule.option) applies only with \(rule.needed)")
    }
    if let loss, choice == .lightgcn ? loss.graph == nil : loss.sequential == nil {
      let forms = choice == .lightgcn ? "bpr or softmax:N:T" : "softmax or bce"
      throw ValidationError("--loss for --model \(choice.rawValue) is \(forms), not '\(loss.text)'")
    }
    if choice == .lightgcn, case .softmax = loss?.graph {
      if bits != nil || blockBits != nil {
        throw ValidationError(
          "--loss softmax:N:T trains float models: quantized ones (--bits, --block-bits) train with bpr")
      }
      if let negatives, negatives != .uniform {
        throw ValidationError(
          "--negatives \(negatives) draws negatives for --loss bpr; the softmax loss shares uniform ones")
      }
    }
    if initialization != nil && warmStart != nil {
      throw ValidationError("--init does not go with --warm-start: the warm start is the start")
    }
    if choice == .lightgcn && bits != nil && blockBits != nil {
      throw ValidationError("--bits and --block-bits both set lightgcn's widths: give one")
    }
    if choice == .lightgcn, let widths = blockWidths, widths.count > WidthBlocks.maxBlocks {
      throw ValidationError(
        "--block-bits takes at most \(WidthBlocks.maxBlocks) widths for lightgcn (got \(widths.count))")
    }
    try compression.check(widthBlocks: choice == .lightgcn && blockBits != nil, graph: choice == .lightgcn)
    let width = dim ?? SequentialConfiguration(architecture: .sasrec).dim
    if let heads, width % heads != 0 {
      throw ValidationError("--heads must divide --dim (got \(heads) heads for --dim \(width))")
    }
  }
}

/// Throws unless `value` (when given) is in `range`, naming the option and the range.
func require(_ value: Int?, _ option: String, in range: ClosedRange<Int>) throws {
  guard let value, !range.contains(value) else { return }
  throw ValidationError("\(option) must be between \(range.lowerBound) and \(range.upperBound) (got \(value))")
}

/// Throws unless `value` (when given) is finite and within the bounds, naming the option.
func require<F: BinaryFloatingPoint>(
  _ value: F?, _ option: String, above: F? = nil, from: F? = nil, atMost: F? = nil, below: F? = nil
) throws {
  guard let value else { return }
  let ok =
    value.isFinite && above.map { value > $0 } ?? true && from.map { value >= $0 } ?? true
    && atMost.map { value <= $0 } ?? true && below.map { value < $0 } ?? true
  guard !ok else { return }
  let low = above.map { "(\($0)" } ?? from.map { "[\($0)" } ?? "(-inf"
  let high = atMost.map { "\($0)]" } ?? below.map { "\($0))" } ?? "inf)"
  throw ValidationError("\(option) must be a finite number in \(low), \(high) (got \(value))")
}
