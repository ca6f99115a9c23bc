/// The input side of a sequential model: item ids (with a padding id that reads as zeros) to
/// vectors of the model width. `Embedding` (one table) and `BlockwiseEmbedding` (CpRec) are
/// the two kinds.
///
/// Shapes: ids (n) -> (n, width). `backward` differentiates the last `forward` and
/// accumulates into `parameters`' gradients.
public protocol ItemInput: AnyObject {
  var width: Int { get }
  var parameters: [Parameter] { get }
  /// The tables with one row per item (each block's under CpRec, before its projection):
  /// what a quantized model stores as codes (`SequentialConfiguration.quantization`).
  var itemTables: [Parameter] { get }
  func forward(_ ids: [Int32]) -> Matrix
  /// The output of `forward`, keeping nothing for `backward`: any number of threads may run it.
  func infer(_ ids: [Int32]) -> Matrix
  func backward(_ dout: Matrix)
}

/// The output side of a sequential model: from hidden states to a distribution over items.
/// `SoftmaxCrossEntropy` (full softmax) and `AdaptiveSoftmax` (CpRec) are the two kinds.
public protocol ItemOutput: AnyObject {
  var items: Int { get }
  var width: Int { get }
  var parameters: [Parameter] { get }
  /// The weight tables with one row per item (per block under CpRec, the head's with its
  /// cluster rows); biases and projections are not among them.
  var itemTables: [Parameter] { get }
  /// The mean next-item loss over rows whose target is not `SoftmaxCrossEntropy.noTarget`,
  /// and how many there were; accumulates the parameters' gradients and returns dHidden
  /// (zero rows where there is no target). hidden (n, width), targets (n).
  func lossAndGradient(_ hidden: Matrix, targets: [Int32]) -> (loss: Float, count: Int, dHidden: Matrix)
  /// Ranking scores of every item for each row, (rows, items), in item order: higher is
  /// more probable (logits or log-probabilities).
  func scores(_ hidden: Matrix) -> Matrix
  /// The `k` best items of each row under the row's filter, best first; equal scores rank the
  /// smaller item first. Equals selecting from `scores`. Reads the weights only, so many
  /// threads may call it at once.
  func top(_ hidden: Matrix, k: Int, filters: [ItemFilter]) -> SearchResult
}

extension Embedding: ItemInput {
  public var parameters: [Parameter] { [table] }
  public var itemTables: [Parameter] { [table] }
}

extension SoftmaxCrossEntropy: ItemOutput {
  public var parameters: [Parameter] { [weight, bias] }
  public var itemTables: [Parameter] { [weight] }

  public func scores(_ hidden: Matrix) -> Matrix { logits(hidden) }

  /// Brute force: the logits of a batch of rows, then masked selection.
  public func top(_ hidden: Matrix, k: Int, filters: [ItemFilter]) -> SearchResult {
    let rankings = BruteForceSearch.search(queries: hidden.rows, itemCount: items, k: k, filter: { filters[$0] }) {
      range, buffer in
      let l = logits(hidden.rows(range))
      l.withUnsafePointer { buffer.update(from: $0, count: range.count * items) }
    }
    return SearchResult(rankings: rankings, statistics: .fullScan(queries: hidden.rows, items: items))
  }
}

/// The output layer of a sequential model as an `ItemIndex` over hidden states: the full
/// softmax by brute force, CpRec's adaptive softmax by its exact top-k that skips whole tail
/// blocks, with its weights laid out for that search once, when the index is built. Build it
/// after training: it reads the layer's weights as they are then.
public struct OutputLayerIndex: ItemIndex, @unchecked Sendable {
  /// The layer; only read.
  public let layer: ItemOutput
  private let layout: AdaptiveRankingLayout?

  public init(layer: ItemOutput) {
    self.layer = layer
    layout = (layer as? AdaptiveSoftmax).map { AdaptiveRankingLayout($0) }
  }

  public var itemCount: Int { layer.items }

  /// Queries are hidden states, (queries, width).
  public func search(_ hidden: Matrix, k: Int, filters: [ItemFilter]) -> SearchResult {
    if let layout, let adaptive = layer as? AdaptiveSoftmax {
      return adaptive.top(hidden, k: k, filters: filters, layout: layout)
    }
    return layer.top(hidden, k: k, filters: filters)
  }
}
