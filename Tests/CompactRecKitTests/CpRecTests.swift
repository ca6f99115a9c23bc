import Foundation
import Testing

@testable import CompactRecKit

@Suite("CpRec: frequency blocks, block-wise layers, sharing")
struct CpRecTests {
  @Test("frequency blocks: order by count (ties by index), cut by cutoffs or shares, locate, bad cuts refused")
  func frequencyBlocks() throws {
    let counts = [10, 1, 5, 3, 1, 0, 30]
    let cut = try FrequencyBlocks(counts: counts, cutoffs: [2, 4])
    #expect(cut.order == [6, 0, 2, 3, 1, 4, 5])
    #expect(cut.ends == [2, 4, 7])
    #expect(cut.locate(6) == (0, 0) && cut.locate(0) == (0, 1))
    #expect(cut.locate(3) == (1, 1) && cut.locate(5) == (2, 2))
    // Shares of the 50 interactions: 30 (60%) reach the head's half; 40 (80%) the next 30%.
    #expect(try FrequencyBlocks(counts: counts, shares: [0.5, 0.3, 0.2]).ends == [1, 2, 7])
    // Every block keeps an item even when the head's share would take them all.
    #expect(try FrequencyBlocks(counts: [5, 0, 0], shares: [0.99, 0.005, 0.005]).ends == [1, 2, 3])
    #expect(throws: FrequencyBlocksError.badCutoffs([4, 2], items: 7)) {
      try FrequencyBlocks(counts: counts, cutoffs: [4, 2])
    }
    #expect(throws: FrequencyBlocksError.self) { try FrequencyBlocks(counts: counts, cutoffs: [7]) }
    #expect(throws: FrequencyBlocksError.self) { try FrequencyBlocks(counts: [1, 2], shares: [0.5, 0.3, 0.2]) }
    #expect(throws: FrequencyBlocksError.self) { try FrequencyBlocks(counts: counts, shares: [0.5, 0]) }
    #expect(FrequencyBlocks.width(block: 0, dim: 64, factor: 4) == 64)
    #expect(FrequencyBlocks.width(block: 2, dim: 64, factor: 4) == 4)
    #expect(FrequencyBlocks.width(block: 5, dim: 64, factor: 4) == 1)
  }

  static let blocks = FrequencyBlocks(order: [4, 9, 0, 7, 2, 5, 1, 8, 3, 6], ends: [3, 6, 10])

  @Test(
    "block-wise embedding: head rows as stored, tail rows projected up, padding zero; dx and dW by finite differences")
  func blockwiseEmbedding() {
    var g = SeededGenerator(seed: 21)
    let layer = BlockwiseEmbedding(name: "e", blocks: Self.blocks, width: 4, factor: 2, generator: &g)
    #expect(layer.tables.map(\.value.cols) == [4, 2, 1] && layer.tables.map(\.value.rows) == [3, 3, 4])
    let ids: [Int32] = [9, 10, 2, 6, 9, 3]  // head, padding, block 1, block 2, head again, block 2
    let out = layer.forward(ids)
    #expect(out.row(0) == layer.tables[0].value.row(1) && out.row(4) == out.row(0))
    #expect(out.row(1) == [0, 0, 0, 0])
    let x = layer.tables[1].value.row(1)  // item 2 is rank 4: block 1, row 1
    let w = layer.projections[0].weight.value
    for c in 0..<4 { #expect(abs(out[2, c] - (x[0] * w[0, c] + x[1] * w[1, c])) < 1e-6) }
    let r = Matrix(rows: ids.count, cols: 4, gaussianStd: 1, generator: &g)
    for p in layer.parameters { p.zeroGrad() }
    layer.backward(r)
    let loss = { GradientCheck.dot(layer.forward(ids), r) }
    for p in layer.parameters {
      #expect(GradientCheck.parameterError(p, generator: &g, loss: loss) < 1e-2, "\(p.name)")
    }
  }

  static func softmax(seed: UInt64) -> AdaptiveSoftmax {
    var g = SeededGenerator(seed: seed)
    let layer = AdaptiveSoftmax(name: "out", blocks: blocks, width: 4, factor: 2, generator: &g)
    for p in layer.parameters {
      p.value = Matrix(rows: p.value.rows, cols: p.value.cols, gaussianStd: 1, generator: &g)
    }
    return layer
  }

  @Test("adaptive softmax: probabilities sum to one and the loss is the exact -log p(target)")
  func adaptiveSoftmaxLikelihood() {
    let layer = Self.softmax(seed: 22)
    var g = SeededGenerator(seed: 23)
    let h = Matrix(rows: 5, cols: 4, gaussianStd: 1, generator: &g)
    let scores = layer.scores(h)
    for r in 0..<5 {
      let total = scores.row(r).reduce(0.0) { $0 + exp(Double($1)) }
      #expect(abs(total - 1) < 1e-5)
    }
    let targets: [Int32] = [4, 2, SoftmaxCrossEntropy.noTarget, 6, 3]  // head, block 1, none, block 2, 2
    let result = layer.lossAndGradient(h, targets: targets)
    let expected = [0, 1, 3, 4].map { -Double(scores[$0, Int(targets[$0])]) }.reduce(0, +) / 4
    #expect(result.count == 4 && abs(Double(result.loss) - expected) < 1e-5)
    #expect(result.dHidden.row(2) == [0, 0, 0, 0])
  }

  @Test("adaptive softmax: dh and every parameter's gradient by finite differences")
  func adaptiveSoftmaxGradients() {
    let layer = Self.softmax(seed: 24)
    layer.head.chunk = 2
    var g = SeededGenerator(seed: 25)
    var h = Matrix(rows: 6, cols: 4, gaussianStd: 1, generator: &g)
    let targets: [Int32] = [4, 2, SoftmaxCrossEntropy.noTarget, 6, 3, 9]
    for p in layer.parameters { p.zeroGrad() }
    let analytic = layer.lossAndGradient(h, targets: targets)
    let grads = layer.parameters.map(\.grad)
    let loss = {
      let kept = layer.parameters.map(\.grad)
      defer { for (p, k) in zip(layer.parameters, kept) { p.grad = k } }
      return Double(layer.lossAndGradient(h, targets: targets).loss)
    }
    let dh = analytic.dHidden
    let inputError = GradientCheck.maxError(
      count: h.storage.count, generator: &g, get: { h.storage[$0] }, set: { h.storage[$0] = $1 },
      analytic: { dh.storage[$0] }, loss: loss)
    #expect(inputError < 2e-2)
    for (p, grad) in zip(layer.parameters, grads) {
      p.grad = grad
      #expect(GradientCheck.parameterError(p, generator: &g, loss: loss) < 2e-2, "\(p.name)")
    }
  }

  @Test("adaptive softmax: the fast top-N equals the exact top-N from all probabilities, exclusions included")
  func fastTopN() {
    let layer = Self.softmax(seed: 26)
    layer.chunk = 7  // several chunks, the last one partial, and tiles of 4 rows with a remainder
    // Items 8 and 3 (block 2, positions 1 and 2) always tie: the exact order puts item 3
    // first, the position order item 8.
    let tail = layer.tails[1]
    for c in 0..<tail.width { tail.weight.value[2, c] = tail.weight.value[1, c] }
    tail.bias.value[0, 2] = tail.bias.value[0, 1]
    var g = SeededGenerator(seed: 27)
    // Large hidden states make some rows confident (tail blocks skipped), others flat.
    var h = Matrix(rows: 40, cols: 4, gaussianStd: 2, generator: &g)
    for c in 0..<4 { h[0, c] = 0 }  // a row of pure biases
    let exclude: [[Int32]] = (0..<40).map { (r: Int) -> [Int32] in
      if r % 3 == 0 { return [] }
      let pair: [Int32] = [Int32(r % 10), Int32((r * 7) % 10)]
      return Array(Set(pair)).sorted()
    }
    for k in [1, 3, 5, 10, 12] {
      let fast = layer.top(h, k: k, filters: exclude.map { ItemFilter(exclude: $0) }).rankings
      let exact = BruteForceSearch.search(
        queries: 40, itemCount: 10, k: k, filter: { ItemFilter(exclude: exclude[$0]) }
      ) {
        range, buffer in
        let s = layer.scores(h)
        s.withUnsafePointer { buffer.update(from: $0 + range.lowerBound * 10, count: range.count * 10) }
      }
      for r in 0..<40 {
        #expect(fast[r].items == exact[r].items, "k \(k) row \(r)")
        for (a, b) in zip(fast[r].scores, exact[r].scores) { #expect(abs(a - b) < 1e-5) }
      }
    }
  }

  /// An adaptive softmax of width 16 over `items` items with random training counts, cut at
  /// `cutoffs`: blocks wide enough for the vector kernel's tiles.
  static func wideSoftmax(items: Int, cutoffs: [Int], generator g: inout SeededGenerator) throws -> AdaptiveSoftmax {
    let counts = (0..<items).map { _ in g.index(below: 50) }
    let blocks = try FrequencyBlocks(counts: counts, cutoffs: cutoffs)
    return AdaptiveSoftmax(name: "out", blocks: blocks, width: 16, factor: 2, generator: &g)
  }

  @Test("adaptive softmax: fast top-N equals exact top-N on blocks wide enough for the vector kernel")
  func fastTopNWideBlocks() throws {
    var g = SeededGenerator(seed: 28)
    let layer = try Self.wideSoftmax(items: 300, cutoffs: [37, 120], generator: &g)
    for p in layer.parameters {
      p.value = Matrix(rows: p.value.rows, cols: p.value.cols, gaussianStd: 0.5, generator: &g)
    }
    layer.chunk = 6
    let rows = 23
    let h = Matrix(rows: rows, cols: 16, gaussianStd: 1, generator: &g)
    let exclude: [[Int32]] = (0..<rows).map { r in
      Array(Set((0..<(r % 5) * 3).map { _ in Int32(g.index(below: 300)) })).sorted()
    }
    let s = layer.scores(h)
    var (skipped, late): (Int64, Int64) = (0, 0)
    for k in [1, 5, 20] {
      let result = layer.top(h, k: k, filters: exclude.map { ItemFilter(exclude: $0) })
      let fast = result.rankings
      skipped += result.statistics.skippedTailBlocks
      late += result.statistics.skippedAfterProduct
      let exact = BruteForceSearch.search(
        queries: rows, itemCount: 300, k: k, filter: { ItemFilter(exclude: exclude[$0]) }
      ) {
        range, buffer in
        s.withUnsafePointer { buffer.update(from: $0 + range.lowerBound * 300, count: range.count * 300) }
      }
      for r in 0..<rows { #expect(fast[r] == exact[r], "k \(k) row \(r)") }
    }
    #expect(skipped > 0, "the bounds should spare some blocks here")
    #expect(late > 0, "and some after their product")
    // The exact scores are a distribution over all items.
    for r in 0..<rows {
      let total = (0..<300).reduce(0.0) { $0 + exp(Double(s[r, $1])) }
      #expect(abs(total - 1) < 1e-4)
    }
  }

  @Test(
    "tail bounds: never below a tail block's most probable item, before or after its product, and tight enough to skip blocks"
  )
  func tailBound() throws {
    var g = SeededGenerator(seed: 29)
    let layer = try Self.wideSoftmax(items: 400, cutoffs: [20, 100], generator: &g)
    let blocks = layer.blocks
    let layout = AdaptiveRankingLayout(layer)
    for scale: Float in [0.1, 1, 4] {
      let h = Matrix(rows: 50, cols: 16, gaussianStd: scale, generator: &g)
      let s = layer.scores(h)
      let head = layer.head.logits(h)
      for b in 1..<blocks.blockCount {
        let z = Affine.forward(h, weight: layer.projections[b - 1].weight.value, bias: nil)
        let logits = layer.tails[b - 1].logits(z)
        for r in 0..<50 {
          let headRow = (0..<head.cols).map { Double(head[r, $0]) }
          let top = headRow.max()!
          let cluster = Float(headRow[blocks.size(0) + b - 1] - top - log(headRow.reduce(0) { $0 + exp($1 - top) }))
          let bound = z.withUnsafePointer { layout.tailBounds[b - 1].bound(cluster: cluster, $0 + r * z.cols, z.cols) }
          let best = (blocks.start(b)..<blocks.start(b) + blocks.size(b)).map { s[r, Int(blocks.order[$0])] }.max()!
          #expect(best <= bound, "scale \(scale) block \(b) row \(r)")
          #expect(bound <= cluster + 1e-6)
          let maxLogit = (0..<logits.cols).map { logits[r, $0] }.max()!
          let after = z.withUnsafePointer {
            layout.tailBounds[b - 1].bound(cluster: cluster, $0 + r * z.cols, z.cols, maxLogit: maxLogit)
          }
          #expect(best <= after, "after the product: scale \(scale) block \(b) row \(r)")
          #expect(after <= bound + 1e-4, "the bound after the product is the tighter one")
        }
      }
    }
    // Small hidden states give flat blocks far below their clusters: top-1 skips some.
    let h = Matrix(rows: 50, cols: 16, gaussianStd: 0.1, generator: &g)
    let result = layer.top(h, k: 1, filters: Array(repeating: ItemFilter(), count: 50))
    #expect(result.statistics.skippedTailBlocks > 0)
  }

  @Test(
    "top list: a block row's ties at the cut, also ties the shift makes, are broken by item, not by position; exclusions masked"
  )
  func topListTies() {
    var row: [Float] = [5, 1, 1, 0, 4]
    let ids: [Int32] = [9, 8, 3, 7, 2]
    var list = TopList(k: 2)
    row.withUnsafeMutableBufferPointer { r in
      list.offerBlock(r.baseAddress!, count: 5, shift: 0, items: ids, exclude: [2]) { $0 == 2 ? 4 : nil }
    }
    // Item 2 (score 4) is excluded; items 8 and 3 tie at 1, and the smaller item wins.
    #expect(list.items == [9, 3] && list.scores == [5, 1])
    // Distinct logits that the shift rounds to one score tie as well: 1 + 100 and
    // (1 + 2^-23) + 100 are both 101 in Float.
    var close: [Float] = [5, 1 + 0x1p-23, 1, 0]
    var shifted = TopList(k: 2)
    close.withUnsafeMutableBufferPointer { r in
      shifted.offerBlock(r.baseAddress!, count: 4, shift: 100, items: ids, exclude: []) { _ in nil }
    }
    #expect(shifted.items == [9, 3] && shifted.scores == [105, 101])
  }

  @Test("sharing schemes: which NextItNet convolutions and SASRec projections are one parameter")
  func sharing() {
    func convolutions(_ s: LayerSharing) -> Int {
      var g = SeededGenerator(seed: 1)
      let net = NextItNet(width: 4, dilations: [1, 2, 4, 8], sharing: s, generator: &g)
      return Set(net.blocks.flatMap { [ObjectIdentifier($0.conv1.weight), ObjectIdentifier($0.conv2.weight)] }).count
    }
    #expect(convolutions(.none) == 8)
    #expect(convolutions(.crossLayer) == 1)
    #expect(convolutions(.crossBlock) == 2)
    #expect(convolutions(.adjacentLayer) == 4)
    #expect(convolutions(.adjacentBlock) == 4)
    // Dilations stay each layer's own under sharing; LayerNorms are never shared.
    var g = SeededGenerator(seed: 1)
    let net = NextItNet(width: 4, dilations: [1, 2, 4, 8], sharing: .crossLayer, generator: &g)
    #expect(net.blocks.map(\.conv2.dilation) == [2, 4, 8, 16])
    #expect(Set(net.blocks.map { ObjectIdentifier($0.norm1.gain) }).count == 4)
    func projections(_ s: LayerSharing) -> Int {
      var g = SeededGenerator(seed: 1)
      let net = SASRec(width: 4, maxLength: 5, blocks: 4, sharing: s, seed: 1, generator: &g)
      return Set(net.parameters.map(ObjectIdentifier.init)).count - 1 - 4 * 4 - 2  // positions, norms
    }
    #expect(projections(.none) == 4 * 12)
    #expect(projections(.crossLayer) == 2)
    #expect(projections(.crossBlock) == 12)
    #expect(projections(.adjacentLayer) == 4 * 2)
    #expect(projections(.adjacentBlock) == 2 * 12)
  }
}
