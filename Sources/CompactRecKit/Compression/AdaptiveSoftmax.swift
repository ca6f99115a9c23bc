import CKernels

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
  /// (row, tail block) pairs that `top` skipped, and all it met, since creation: how often
  /// the cluster bound spares a block.
  public private(set) var skippedTailBlocks = 0
  public private(set) var tailBlocksMet = 0

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

  /// Head log-probabilities (rows, size_0 + blocks - 1): the head items', then the clusters'.
  func headLogProbabilities(_ hidden: Matrix) -> Matrix {
    var h = head.logits(hidden)
    let n = h.cols
    let rows = h.rows
    h.withUnsafeMutablePointer { p in Parallel.forEach(rows, grain: 16) { crk_log_softmax_row(p + $0 * n, Int64(n), 0) }
    }
    return h
  }

  /// Log-probabilities of tail block b's items for the hidden states `x`, row k of which is
  /// row `rows[k]` of the batch (whose head log-probabilities are `head`), each offset by its
  /// cluster's head log-probability: (rows.count, size_b), in rank order.
  func tailLogProbabilities(_ x: Matrix, rows: [Int32], block b: Int, head: Matrix) -> Matrix {
    let z = Affine.forward(x, weight: projections[b - 1].weight.value, bias: nil)
    var l = tails[b - 1].logits(z)
    let n = l.cols
    let cluster = blocks.size(0) + b - 1
    let hw = head.cols
    head.withUnsafePointer { hp in
      l.withUnsafeMutablePointer { p in
        Parallel.forEach(rows.count, grain: 16) { k in
          crk_log_softmax_row(p + k * n, Int64(n), hp[Int(rows[k]) * hw + cluster])
        }
      }
    }
    return l
  }

  /// Exact log-probabilities of every item, (rows, items), in item order.
  public func scores(_ hidden: Matrix) -> Matrix {
    let rows = hidden.rows
    let n = items
    var out = Matrix(rows: rows, cols: n)
    let h = headLogProbabilities(hidden)
    let all = (0..<rows).map { Int32($0) }
    for b in 0..<blocks.blockCount {
      let part = b == 0 ? h : tailLogProbabilities(hidden, rows: all, block: b, head: h)
      let start = blocks.start(b)
      let size = blocks.size(b)
      let pw = part.cols
      blocks.order.withUnsafeBufferPointer { order in
        part.withUnsafePointer { src in
          out.withUnsafeMutablePointer { dst in
            Parallel.forEach(rows, grain: 16) { r in
              for j in 0..<size { dst[r * n + Int(order[start + j])] = src[r * pw + j] }
            }
          }
        }
      }
    }
    return out
  }

  /// Fast exact top-k: the head items first; then each tail block in turn, skipped for a row
  /// whose list is full and whose cluster log-probability is below its k-th best score (every
  /// item of the block is at most as probable as its cluster, so none could enter). Returns
  /// what selecting from `scores` returns.
  public func top(_ hidden: Matrix, k: Int, exclude: [[Int32]]) -> [Ranking] {
    precondition(exclude.count == hidden.rows, "one exclusion list per row")
    let rows = hidden.rows
    let h = headLogProbabilities(hidden)
    var lists = [TopList](repeating: TopList(k: min(k, items)), count: rows)
    let headItems = blocks.size(0)
    let hw = h.cols
    lists.withUnsafeMutableBufferPointer { lists in
      h.withUnsafePointer { hp in
        blocks.order.withUnsafeBufferPointer { order in
          Parallel.forEach(rows, grain: 16) { r in
            // The head items' scores, copied so excluded items can be masked.
            withUnsafeTemporaryAllocation(of: Float.self, capacity: headItems) { row in
              row.baseAddress!.update(from: hp + r * hw, count: headItems)
              lists[r].offerBlock(row.baseAddress!, count: headItems, items: order.baseAddress!, exclude: exclude[r]) {
                position(of: $0, inBlock: 0)
              }
            }
          }
        }
      }
    }
    for b in 1..<max(1, blocks.blockCount) {
      let cluster = headItems + b - 1
      let needed = (0..<rows).filter { r in !lists[r].excludes(score: h[r, cluster]) }.map { Int32($0) }
      tailBlocksMet += rows
      skippedTailBlocks += rows - needed.count
      if needed.isEmpty { continue }
      var part = tailLogProbabilities(hidden.gathering(needed), rows: needed, block: b, head: h)
      let pw = part.cols
      lists.withUnsafeMutableBufferPointer { lists in
        part.withUnsafeMutablePointer { p in
          blocks.order.withUnsafeBufferPointer { order in
            Parallel.forEach(needed.count, grain: 16) { i in
              let r = Int(needed[i])
              lists[r].offerBlock(
                p + i * pw, count: pw, items: order.baseAddress! + blocks.start(b), exclude: exclude[r]
              ) { position(of: $0, inBlock: b) }
            }
          }
        }
      }
    }
    return lists.map(\.ranking)
  }

  /// An item's index within block b's rank order, or nil when it is in another block.
  func position(of item: Int32, inBlock b: Int) -> Int? {
    let (block, row) = blocks.locate(item)
    return block == b ? row : nil
  }
}

/// The k best (item, score) pairs seen so far, best first; equal scores rank the smaller item
/// first. -infinity and NaN are never kept.
struct TopList {
  let k: Int
  private(set) var items: [Int32] = []
  private(set) var scores: [Float] = []

  init(k: Int) { self.k = k }

  var ranking: Ranking { Ranking(items: items, scores: scores) }

  /// True when nothing scoring at most `score` can enter: the list is full and its worst
  /// score is above `score`.
  func excludes(score: Float) -> Bool { k == 0 || (items.count == k && score < scores[k - 1]) }

  /// Offers one item.
  mutating func offer(_ item: Int32, _ s: Float) {
    guard s > -.infinity else { return }
    if items.count == k {
      let worst = scores[k - 1]
      if s < worst || (s == worst && item > items[k - 1]) { return }
    }
    var i = items.count
    while i > 0 && (scores[i - 1] < s || (scores[i - 1] == s && items[i - 1] > item)) { i -= 1 }
    items.insert(item, at: i)
    scores.insert(s, at: i)
    if items.count > k {
      items.removeLast()
      scores.removeLast()
    }
  }

  /// Offers a block's row, `scores[j]` for item `ids[j]`: masks the row's excluded items in
  /// place (`position` gives an item's index in the row, nil outside it), selects the row's
  /// best k + 1 with the vectorized kernel and offers the best k. The kernel orders equal
  /// scores by position, not by item, so when the (k+1)-th ties the k-th the whole row is
  /// offered one by one instead.
  mutating func offerBlock(
    _ row: UnsafeMutablePointer<Float>, count: Int, items ids: UnsafePointer<Int32>, exclude: [Int32],
    position: (Int32) -> Int?
  ) {
    guard k > 0, count > 0 else { return }
    for e in exclude { if let j = position(e) { row[j] = -.infinity } }
    let want = min(k + 1, count)
    withUnsafeTemporaryAllocation(of: Int32.self, capacity: want) { idx in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: want) { val in
        let found = TopK.select(row, count: count, k: want, indices: idx.baseAddress!, values: val.baseAddress!)
        if found == want && want > k && val[k] == val[k - 1] {
          for j in 0..<count { offer(ids[j], row[j]) }
        } else {
          for j in 0..<min(found, k) { offer(ids[Int(idx[j])], val[j]) }
        }
      }
    }
  }
}
