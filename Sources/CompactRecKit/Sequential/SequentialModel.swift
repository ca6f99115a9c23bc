import Foundation

/// A next-item recommender: item embedding (with a padding row), a sequence encoder
/// (NextItNet, GRU4Rec or SASRec) and a softmax over every item.
///
/// Items are dense indices 0 ..< items; the padding id is `items`. Trained teacher-forced on
/// every position; a query is scored from the hidden state at the last position of its
/// history (its last `maxLength` items).
public final class SequentialModel: Recommender {
  public let items: Int
  public let maxLength: Int
  public let embedding: Embedding
  public let encoder: SequenceEncoder
  public let output: SoftmaxCrossEntropy
  /// The settings the model was built from (saved with it).
  public let configuration: SequentialConfiguration

  /// The parts of a model built by `SequentialConfiguration.makeModel`, which `configuration`
  /// describes.
  init(
    items: Int, maxLength: Int, embedding: Embedding, encoder: SequenceEncoder, output: SoftmaxCrossEntropy,
    configuration: SequentialConfiguration
  ) {
    precondition(embedding.count == items + 1 && embedding.paddingID == Int32(items), "embedding shape")
    precondition(output.items == items && output.width == encoder.width, "output shape")
    self.items = items
    self.maxLength = maxLength
    self.embedding = embedding
    self.encoder = encoder
    self.output = output
    self.configuration = configuration
  }

  public var padding: Int32 { Int32(items) }
  public var itemCount: Int { items }

  /// Every parameter once (sharing removed), in a stable order.
  public var parameters: [Parameter] {
    var seen = Set<ObjectIdentifier>()
    return ([embedding.table] + encoder.parameters + [output.weight, output.bias]).filter {
      seen.insert(ObjectIdentifier($0)).inserted
    }
  }

  /// Hidden states (B*T, width) of a batch.
  func hidden(_ batch: SequenceBatch) -> Matrix {
    encoder.forward(embedding.forward(batch.inputs), length: batch.length, valid: batch.valid)
  }

  /// The mean next-item loss of a batch, with every parameter's gradient accumulated (call
  /// `zeroGradients` first).
  public func lossAndGradients(_ batch: SequenceBatch) -> Float {
    let h = hidden(batch)
    let (loss, _, dh) = output.lossAndGradient(h, targets: batch.targets)
    embedding.backward(encoder.backward(dh))
    return loss
  }

  public func zeroGradients() { for p in parameters { p.zeroGrad() } }

  /// One optimizer step on a batch: loss, backward, gradient clipping, Adam. Returns the loss.
  public func step(_ batch: SequenceBatch, optimizer: Adam, clipNorm: Float?) -> Float {
    zeroGradients()
    encoder.setTraining(true)
    let loss = lossAndGradients(batch)
    if let clipNorm { clipGradients(parameters, maxNorm: clipNorm) }
    optimizer.step(parameters)
    return loss
  }

  /// Scores of every item after each query's history (`ScoringQuery.history`).
  public func score(_ queries: ArraySlice<ScoringQuery>, into scores: UnsafeMutablePointer<Float>) {
    encoder.setTraining(false)
    let batch = SequenceBatch(histories: queries.map(\.history), maxLength: maxLength, padding: padding)
    let h = hidden(batch)
    var last = Matrix(rows: queries.count, cols: encoder.width)
    let w = encoder.width
    let t = batch.length
    for q in 0..<queries.count {
      for c in 0..<w { last.storage[q * w + c] = h.storage[((q + 1) * t - 1) * w + c] }
    }
    let logits = output.logits(last)
    logits.withUnsafePointer { scores.update(from: $0, count: queries.count * items) }
  }
}
