/// CpRec's block-wise adaptive softmax (after Grave et al., 2017): a head softmax over the
/// head block's items plus one "cluster" logit per tail block, and for each tail block b a
/// down-projection (d -> width_b, no bias) and a softmax over its own items, so
/// p(item in block b) = p_head(cluster b) * p_b(item). Trained with the exact log-likelihood;
/// a row whose target is in the head pays only for the head, which is what makes training
/// and top-N inference cheaper than a full softmax.
///
/// Shapes: hidden (n, d); head weight (size_0 + blocks - 1, d) with bias; tail b: projection
/// (d, width_b), weight (size_b, width_b) with bias. Within each block, items are in frequency
/// rank order (`FrequencyBlocks.order`).
public final class AdaptiveSoftmax: ItemOutput {
  public let blocks: FrequencyBlocks
  /// Logits of the head block's items, then of each tail block's cluster.
  public let head: SoftmaxCrossEntropy
  /// The down-projection of each tail block (index b - 1 for block b).
  public let projections: [Linear]
  /// The softmax over each tail block's items (index b - 1 for block b).
  public let tails: [SoftmaxCrossEntropy]
  public let width: Int
  /// Rows that `scores` and `top` take through the layer at once, on one core: bounds their
  /// working memory to about `chunk * (items + width)` floats per core.
  public var chunk = 32

  /// New layers: weights from N(0, 1 / fan-in), zero biases.
  public init(name: String, blocks: FrequencyBlocks, width d: Int, factor: Int, generator: inout SeededGenerator) {
    self.blocks = blocks
    width = d
    head = SoftmaxCrossEntropy(
      name: name + ".head", items: blocks.size(0) + blocks.blockCount - 1, width: d, generator: &generator)
    var projections: [Linear] = []
    var tails: [SoftmaxCrossEntropy] = []
    for b in 1..<max(1, blocks.blockCount) {
      let w = FrequencyBlocks.width(block: b, dim: d, factor: factor)
      projections.append(
        Linear(name: "\(name).projection\(b)", inputs: d, outputs: w, bias: false, generator: &generator))
      tails.append(
        SoftmaxCrossEntropy(name: "\(name).block\(b)", items: blocks.size(b), width: w, generator: &generator))
    }
    self.projections = projections
    self.tails = tails
  }

  public var items: Int { blocks.itemCount }
  public var parameters: [Parameter] {
    head.parameters + zip(projections, tails).flatMap { [$0.weight] + $1.parameters }
  }
  public var itemTables: [Parameter] { [head.weight] + tails.map(\.weight) }

  /// -log p(target) = -log p_head(target or its cluster) - log p_b(target) for a tail target,
  /// averaged over rows with a target. The head sees every such row; tail block b only the
  /// rows whose target lies in it.
  public func lossAndGradient(_ hidden: Matrix, targets: [Int32]) -> (loss: Float, count: Int, dHidden: Matrix) {
    precondition(hidden.rows == targets.count && hidden.cols == width, "hidden and targets differ in shape")
    let headItems = blocks.size(0)
    var headTargets = [Int32](repeating: SoftmaxCrossEntropy.noTarget, count: targets.count)
    var tailRows = [[Int32]](repeating: [], count: tails.count)
    var tailTargets = [[Int32]](repeating: [], count: tails.count)
    var count = 0
    for (r, t) in targets.enumerated() where t != SoftmaxCrossEntropy.noTarget {
      precondition(t >= 0 && Int(t) < items, "target \(t) out of range")
      count += 1
      let (b, row) = blocks.locate(t)
      if b == 0 {
        headTargets[r] = Int32(row)
      } else {
        headTargets[r] = Int32(headItems + b - 1)
        tailRows[b - 1].append(Int32(r))
        tailTargets[b - 1].append(Int32(row))
      }
    }
    guard count > 0 else { return (0, 0, Matrix(rows: hidden.rows, cols: width)) }
    var (loss, _, dHidden) = head.lossAndGradient(hidden, targets: headTargets, dividingBy: count)
    for t in tails.indices where !tailRows[t].isEmpty {
      let z = projections[t].forward(hidden.gathering(tailRows[t]))
      let (tailLoss, _, dz) = tails[t].lossAndGradient(z, targets: tailTargets[t], dividingBy: count)
      loss += tailLoss
      dHidden.scatterAdd(projections[t].backward(dz), to: tailRows[t])
    }
    return (loss, count, dHidden)
  }
}
