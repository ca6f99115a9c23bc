import Foundation

/// A next-item recommender: an item input layer (with a padding id), a sequence encoder
/// (NextItNet, GRU4Rec or SASRec) and an output distribution over every item; the input and
/// output are full tables or CpRec's block-wise adaptive layers.
///
/// Items are dense indices 0 ..< items; the padding id is `items`. Trained teacher-forced on
/// every position; a query is scored from the hidden state at the last position of its
/// history (its last `maxLength` items).
public final class SequentialModel: Recommender {
  public let items: Int
  public let maxLength: Int
  public let input: ItemInput
  public let encoder: SequenceEncoder
  public let output: ItemOutput
  /// The settings the model was built from (saved with it).
  public let configuration: SequentialConfiguration
  /// The frequency blocks of block-wise layers, or nil when both are full tables.
  public let blocks: FrequencyBlocks?
  /// Draws the negatives of the `bce` loss (a checkpoint saves its state).
  var negativeGenerator: SeededGenerator
  /// What `train` did: epochs run, best validation epoch and figure (nil for a model not
  /// trained by `train`, such as one read from a file).
  public internal(set) var summary: TrainingSummary?
  /// With `configuration.quantization`, once trained (or read from a file): the codes of
  /// `itemTables`, which hold the values the codes stand for.
  public internal(set) var itemCodes: [PackedCodes]?

  /// The parts of a model built by `SequentialConfiguration.makeModel`, which `configuration`
  /// describes.
  init(
    items: Int, maxLength: Int, input: ItemInput, encoder: SequenceEncoder, output: ItemOutput,
    configuration: SequentialConfiguration, blocks: FrequencyBlocks?
  ) {
    precondition(input.width == encoder.width, "input width")
    precondition(output.items == items && output.width == encoder.width, "output shape")
    self.items = items
    self.maxLength = maxLength
    self.input = input
    self.encoder = encoder
    self.output = output
    self.configuration = configuration
    self.blocks = blocks
    negativeGenerator = SeededGenerator(seed: configuration.seed &+ 3)
  }

  public var padding: Int32 { Int32(items) }
  public var itemCount: Int { items }

  /// Every parameter once (sharing removed), in a stable order.
  public var parameters: [Parameter] {
    var seen = Set<ObjectIdentifier>()
    return (input.parameters + encoder.parameters + output.parameters).filter {
      seen.insert(ObjectIdentifier($0)).inserted
    }
  }

  /// Hidden states (B*T, width) of a batch.
  func hidden(_ batch: SequenceBatch) -> Matrix {
    encoder.forward(input.forward(batch.inputs), length: batch.length, valid: batch.valid)
  }

  /// The mean next-item loss of a batch (the configuration's objective), with every
  /// parameter's gradient accumulated (call `zeroGradients` first).
  public func lossAndGradients(_ batch: SequenceBatch) -> Float {
    let h = hidden(batch)
    let loss: Float
    let dh: Matrix
    if configuration.loss == .bce, let table = output as? SoftmaxCrossEntropy {
      let negatives = batch.sampledNegatives(items: items, generator: &negativeGenerator)
      (loss, _, dh) = table.sampledBinaryLossAndGradient(h, targets: batch.targets, negatives: negatives)
    } else {
      (loss, _, dh) = output.lossAndGradient(h, targets: batch.targets)
    }
    input.backward(encoder.backward(dh))
    return loss
  }

  public func zeroGradients() { for p in parameters { p.zeroGrad() } }

  /// One optimizer step on a batch: loss, backward, gradient clipping, Adam. Returns the loss.
  /// With `configuration.quantization`, forward and backward run on the quantized item
  /// tables and the estimator carries the gradient to their float values.
  public func step(_ batch: SequenceBatch, optimizer: Adam, clipNorm: Float?) -> Float {
    zeroGradients()
    encoder.setTraining(true)
    let loss: Float
    if let q = configuration.quantization {
      let latent = quantizeItemTables()
      loss = lossAndGradients(batch)
      finishQuantizedStep(latent: latent, estimator: q.estimator)
    } else {
      loss = lossAndGradients(batch)
    }
    if let clipNorm { clipGradients(parameters, maxNorm: clipNorm) }
    optimizer.step(parameters)
    return loss
  }

  /// The hidden state after each query's history, (queries, width), for one batch.
  /// Inference: the layers keep no state, so many threads may call it at once.
  func lastHidden(_ queries: ArraySlice<ScoringQuery>) -> Matrix {
    let batch = SequenceBatch(histories: queries.map(\.history), maxLength: maxLength, padding: padding)
    let t = batch.length
    let h = encoder.infer(input.infer(batch.inputs), length: batch.length, valid: batch.valid)
    return h.gathering((1...queries.count).map { Int32($0 * t - 1) })
  }

  /// Scores of every item after each query's history (`ScoringQuery.history`).
  public func score(_ queries: ArraySlice<ScoringQuery>, into scores: UnsafeMutablePointer<Float>) {
    let s = output.scores(lastHidden(queries))
    s.withUnsafePointer { scores.update(from: $0, count: queries.count * items) }
  }

  /// The hidden state after each query's history, (queries, width), in query order. Queries
  /// go through the encoder in batches of similar history length, so short histories are
  /// not padded to the longest one.
  public func finalHidden(_ queries: [ScoringQuery]) -> Matrix {
    let order = queries.indices.sorted {
      (min(queries[$0].history.count, maxLength), $0) < (min(queries[$1].history.count, maxLength), $1)
    }.map { Int32($0) }
    var out = Matrix(rows: queries.count, cols: encoder.width)
    for start in stride(from: 0, to: queries.count, by: BruteForceSearch.batchSize) {
      let part = Array(order[start..<min(queries.count, start + BruteForceSearch.batchSize)])
      out.scatter(lastHidden(part.map { queries[Int($0)] }[...]), to: part)
    }
    return out
  }

  /// The `k` best items after each query's history, under its filter: the
  /// encoder's states (`finalHidden`), then the output layer's own top-k (which bounds its
  /// memory by working through rows in chunks; the adaptive softmax skips whole tail blocks).
  public func search(_ queries: [ScoringQuery], k: Int) -> SearchResult {
    search(hidden: finalHidden(queries), queries, k: k)
  }

  /// The output layer's part of `search`: the `k` best items from each query's hidden state
  /// (`finalHidden`) under its filter.
  public func search(hidden h: Matrix, _ queries: [ScoringQuery], k: Int) -> SearchResult {
    precondition(h.rows == queries.count && h.cols == encoder.width, "one hidden state per query")
    return index.search(h, k: k, filters: queries.map(\.filter))
  }

  /// The output layer as an index over hidden states, built now from the current weights (a
  /// server builds it once and keeps it; `search` builds one per call, so that it follows
  /// training).
  public var index: OutputLayerIndex { OutputLayerIndex(layer: output) }
}
