import CKernels
import Foundation

/// Ranking with the adaptive softmax: exact log-probabilities of every item (`scores`, for
/// evaluation) and the fast exact top-N (`top`). Both walk the layer the same way
/// (`AdaptiveRankingLayout.walk`) and take every logit from `crk_rows_product`, so they
/// score each item identically and the fast path selects exactly what the exact one would.
extension AdaptiveSoftmax {
  /// Exact log-probabilities of every item, (rows, items), in item order.
  public func scores(_ hidden: Matrix) -> Matrix {
    let n = items
    var out = Matrix(rows: hidden.rows, cols: n)
    out.withUnsafeMutablePointer { dst in
      blocks.order.withUnsafeBufferPointer { order in
        _ = AdaptiveRankingLayout(self).walk(hidden, needs: { _, _, _ in true }) { b, r, logits, shift in
          let start = blocks.start(b)
          for j in 0..<blocks.size(b) { dst[r * n + Int(order[start + j])] = logits[j] + shift }
        }
      }
    }
    return out
  }

  /// Fast exact top-k: the head items first; then each tail block in turn, skipped for a row
  /// whose list is full and whose bound on the block's items (`AdaptiveRankingLayout.walk`)
  /// is below its k-th best score, so none could enter: before the block's product, or after
  /// it (a tighter bound from the row's largest logit) before its log-sum-exp. Within a
  /// block, items are selected by logit (the block's log-softmax only shifts them), so a
  /// visited block costs one product, one log-sum-exp and one selection pass. Returns what
  /// selecting from `scores` returns, and how many tail blocks the bounds skipped.
  public func top(_ hidden: Matrix, k: Int, filters: [ItemFilter]) -> SearchResult {
    top(hidden, k: k, filters: filters, layout: AdaptiveRankingLayout(self))
  }

  /// `top` with the weights already laid out (`OutputLayerIndex` builds the layout once).
  func top(_ hidden: Matrix, k: Int, filters: [ItemFilter], layout: AdaptiveRankingLayout) -> SearchResult {
    precondition(filters.count == hidden.rows, "one filter per row")
    let parts = ItemFilter.parts(filters, itemCount: items)
    if parts.count > 1 {
      return SearchResult(
        joining: parts.map { top(hidden.rows($0), k: k, filters: Array(filters[$0]), layout: layout) })
    }
    let exclude = filters.map { $0.exclusions(itemCount: items) }
    var lists = [TopList](repeating: TopList(k: min(k, items)), count: hidden.rows)
    let (skipped, late) = lists.withUnsafeMutableBufferPointer { lists in
      blocks.order.withUnsafeBufferPointer { order in
        layout.walk(hidden, needs: { r, _, bound in !lists[r].excludes(score: bound) }) {
          b, r, logits, shift in
          lists[r].offerBlock(
            logits, count: blocks.size(b), shift: shift, items: order.baseAddress! + blocks.start(b),
            exclude: exclude[r]
          ) { position(of: $0, inBlock: b) }
        }
      }
    }
    var statistics = SearchStatistics()
    statistics.pairs = Int64(hidden.rows) * Int64(items)
    statistics.tailBlocks = Int64(hidden.rows * tails.count)
    statistics.skippedTailBlocks = Int64(skipped)
    statistics.skippedAfterProduct = Int64(late)
    return SearchResult(rankings: lists.map(\.ranking), statistics: statistics)
  }

  /// An item's index within block b's rank order, or nil when it is in another block.
  func position(of item: Int32, inBlock b: Int) -> Int? {
    let (block, row) = blocks.locate(item)
    return block == b ? row : nil
  }
}

/// An adaptive softmax's weights laid out for `crk_rows_product` (the head and tail tables
/// transposed to (width, items)), and the walk over its blocks that both ranking paths share.
struct AdaptiveRankingLayout: Sendable {
  let blocks: FrequencyBlocks
  let width: Int
  let chunk: Int
  /// (width, size_0 + tail blocks) and (1, size_0 + tail blocks).
  let headWeight: Matrix
  let headBias: Matrix
  /// For tail block b at index b - 1: (width, width_b), (width_b, size_b), (1, size_b).
  let projections: [Matrix]
  let tailWeights: [Matrix]
  let tailBiases: [Matrix]
  let tailBounds: [TailBound]

  init(_ layer: AdaptiveSoftmax) {
    blocks = layer.blocks
    width = layer.width
    chunk = max(1, layer.chunk)
    headWeight = layer.head.weight.value.transposed()
    headBias = layer.head.bias.value
    projections = layer.projections.map(\.weight.value)
    tailWeights = layer.tails.map { $0.weight.value.transposed() }
    tailBiases = layer.tails.map(\.bias.value)
    tailBounds = layer.tails.map { TailBound(weight: $0.weight.value, bias: $0.bias.value) }
  }

  /// Walks the rows of `hidden` in chunks of `chunk` rows, each core taking a run of chunks
  /// with its own scratch memory. For each row r it visits block 0 with the head logits and
  /// shift -logsumexp(head row), then each tail block b for which `needs(r, b, bound)` holds
  /// with the block's logits and shift cluster - logsumexp(block row), where cluster is the
  /// block's head log-probability; a logit plus its shift is the item's log-probability.
  /// `bound` is at least every item's log-probability in the block (`TailBound`). `needs` is
  /// asked twice: before the block's product, with a bound from the row's projection z into
  /// the block, and after it, with a tighter one from the row's largest logit; a row that
  /// needs the block both times costs one log-sum-exp and is visited.
  /// `visit(b, r, logits, shift)` may overwrite the logits (the cluster values are read
  /// first). Rows of different chunks run concurrently, one row's visits in block order.
  /// Returns how many (row, tail block) pairs were skipped before the product and after it.
  func walk(
    _ hidden: Matrix, needs: (Int, Int, Float) -> Bool,
    visit: (_ block: Int, _ row: Int, _ logits: UnsafeMutablePointer<Float>, _ shift: Float) -> Void
  ) -> (before: Int, after: Int) {
    precondition(hidden.cols == width, "hidden width \(hidden.cols), expected \(width)")
    let rows = hidden.rows
    let chunks = (rows + chunk - 1) / chunk
    let logitsWidth = max(headWeight.cols, tailWeights.map(\.cols).max() ?? 0)
    var skipped = [Int](repeating: 0, count: Parallel.workers)
    var late = [Int](repeating: 0, count: Parallel.workers)
    hidden.withUnsafePointer { h in
      skipped.withUnsafeMutableBufferPointer { skipped in
        late.withUnsafeMutableBufferPointer { late in
          Parallel.forEachChunk(of: chunks) { worker, range in
            let scratch = Scratch(logits: chunk * logitsWidth, rows: chunk * width)
            defer { scratch.free() }
            for c in range {
              let lo = c * chunk
              let (before, after) = walkChunk(
                h + lo * width, rows: min(chunk, rows - lo), first: lo, scratch: scratch, needs: needs, visit: visit)
              skipped[worker] += before
              late[worker] += after
            }
          }
        }
      }
    }
    return (skipped.reduce(0, +), late.reduce(0, +))
  }

  /// One core's buffers for `walkChunk`: a chunk's logits, its rows' projections into a
  /// tail block and the projections of the rows that need the block.
  private struct Scratch {
    let logits: UnsafeMutablePointer<Float>
    let gathered: UnsafeMutablePointer<Float>
    let projected: UnsafeMutablePointer<Float>

    init(logits: Int, rows: Int) {
      self.logits = .allocate(capacity: logits)
      gathered = .allocate(capacity: rows)
      projected = .allocate(capacity: rows)
    }

    func free() {
      logits.deallocate()
      gathered.deallocate()
      projected.deallocate()
    }
  }

  /// `walk` over `m` contiguous rows starting at `x`, which are rows `first...` of the batch.
  private func walkChunk(
    _ x: UnsafePointer<Float>, rows m: Int, first: Int, scratch: Scratch, needs: (Int, Int, Float) -> Bool,
    visit: (Int, Int, UnsafeMutablePointer<Float>, Float) -> Void
  ) -> (Int, Int) {
    let tailCount = tailWeights.count
    let headItems = blocks.size(0)
    let hw = headWeight.cols
    let (logits, gathered, projected) = (scratch.logits, scratch.gathered, scratch.projected)
    var clusters = [Float](repeating: 0, count: m * tailCount)
    headWeight.withUnsafePointer { w in
      headBias.withUnsafePointer { bias in
        crk_rows_product(x, Int64(m), Int64(width), Int64(width), w, Int64(hw), bias, logits, Int64(hw))
      }
    }
    for i in 0..<m {
      let row = logits + i * hw
      let shift = 0 - crk_log_sum_exp(row, Int64(hw), crk_row_max(row, Int64(hw)))
      for t in 0..<tailCount { clusters[i * tailCount + t] = row[headItems + t] + shift }
      visit(0, first + i, row, shift)
    }
    var (skipped, late) = (0, 0)
    var bounds = [Float](repeating: 0, count: m)
    for t in 0..<tailCount {
      let bw = projections[t].cols
      let n = tailWeights[t].cols
      projections[t].withUnsafePointer { p in
        crk_rows_product(x, Int64(m), Int64(width), Int64(width), p, Int64(bw), nil, projected, Int64(bw))
      }
      for i in 0..<m { bounds[i] = tailBounds[t].bound(cluster: clusters[i * tailCount + t], projected + i * bw, bw) }
      let needed = (0..<m).filter { needs(first + $0, t + 1, bounds[$0]) }
      skipped += m - needed.count
      if needed.isEmpty { continue }
      for (k, i) in needed.enumerated() { (gathered + k * bw).update(from: projected + i * bw, count: bw) }
      tailWeights[t].withUnsafePointer { w in
        tailBiases[t].withUnsafePointer { bias in
          crk_rows_product(gathered, Int64(needed.count), Int64(bw), Int64(bw), w, Int64(n), bias, logits, Int64(n))
        }
      }
      for (k, i) in needed.enumerated() {
        let row = logits + k * n
        let cluster = clusters[i * tailCount + t]
        let top = crk_row_max(row, Int64(n))
        if !needs(first + i, t + 1, tailBounds[t].bound(cluster: cluster, projected + i * bw, bw, maxLogit: top)) {
          late += 1
          continue
        }
        visit(t + 1, first + i, row, cluster - crk_log_sum_exp(row, Int64(n), top))
      }
    }
    return (skipped, late)
  }
}

/// Bounds on the log-probability of every item in a tail block. With logits l_j = z . W_j +
/// b_j over the block's n items, Jensen's inequality gives logsumexp(l) >= log n + mean(l),
/// where mean(l) = z . mean W + mean b, so log p(j) = cluster + l_j - logsumexp(l) <= cluster
/// - log n + (l_j - mean(l)). Before the block's product, l_j - mean(l) = z . (W_j - mean W)
/// + (b_j - mean b) <= |z| * spread + biasSpread, where spread = max_j |W_j - mean W| and
/// biasSpread = max_j (b_j - mean b): O(width_b) per row, and a row far from every item of a
/// rare block skips it even when the block's cluster is likely. After the product, the row's
/// largest logit replaces that worst case, and logsumexp(l) >= max(l) as well.
struct TailBound {
  let logSize: Float
  let spread: Float
  let biasSpread: Float
  let meanWeight: [Float]
  let meanBias: Float

  init(weight: Matrix, bias: Matrix) {
    let (n, w) = (weight.rows, weight.cols)
    var mean = [Double](repeating: 0, count: w)
    for j in 0..<n { for c in 0..<w { mean[c] += Double(weight[j, c]) / Double(n) } }
    var spread = 0.0
    for j in 0..<n {
      var s = 0.0
      for c in 0..<w { s += (Double(weight[j, c]) - mean[c]) * (Double(weight[j, c]) - mean[c]) }
      spread = max(spread, s.squareRoot())
    }
    let meanBias = (0..<n).reduce(0.0) { $0 + Double(bias[0, $1]) } / Double(n)
    logSize = Float(log(Double(n)))
    self.spread = Float(spread)
    biasSpread = Float((0..<n).map { Double(bias[0, $0]) - meanBias }.max() ?? 0)
    meanWeight = mean.map { Float($0) }
    self.meanBias = Float(meanBias)
  }

  /// The bound before the product, for a row with the given cluster log-probability and
  /// projection z (width w).
  func bound(cluster: Float, _ z: UnsafePointer<Float>, _ w: Int) -> Float {
    var squared: Float = 0
    for c in 0..<w { squared += z[c] * z[c] }
    return loosened(cluster: cluster, cluster - logSize + squared.squareRoot() * spread + biasSpread)
  }

  /// The bound after the product, from the row's largest logit.
  func bound(cluster: Float, _ z: UnsafePointer<Float>, _ w: Int, maxLogit: Float) -> Float {
    var mean = meanBias
    for c in 0..<w { mean += z[c] * meanWeight[c] }
    return loosened(cluster: cluster, cluster + maxLogit - max(maxLogit, logSize + mean))
  }

  /// A bound loosened by a slack far above Float rounding, so it never cuts off a real
  /// candidate, and capped at the cluster's log-probability, which bounds every item.
  private func loosened(cluster: Float, _ bound: Float) -> Float {
    min(cluster, bound + 1e-3 * (1 + abs(bound)))
  }
}
