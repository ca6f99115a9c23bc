import Foundation
import Testing

@testable import CompactRecKit

@Suite("LightGCN")
struct LightGCNTests {
  private let matrix = InteractionMatrix(rows: [[0, 1], [1, 2, 3], [3]], columnCount: 4)

  /// The built-in generator's data at 60 users and 40 items: small enough for whole training runs.
  private func smallSyntheticData() -> Dataset { SyntheticData.small(users: 60, items: 40) }

  @Test("normalized adjacency: symmetric weights 1/sqrt(deg(u) deg(i)), product matches dense")
  func adjacency() {
    let graph = NormalizedAdjacency(matrix)
    #expect(graph.nodeCount == 7)
    #expect(graph.nonZeroCount == 12)
    // Dense reference A.
    var dense = [[Float]](repeating: [Float](repeating: 0, count: 7), count: 7)
    let userDegree = [2, 3, 1]
    let itemDegree = [1, 2, 1, 2]
    for u in 0..<3 {
      for i in matrix.row(u) {
        let w = 1 / (Float(userDegree[u]) * Float(itemDegree[Int(i)])).squareRoot()
        dense[u][3 + Int(i)] = w
        dense[3 + Int(i)][u] = w
      }
    }
    var g = SeededGenerator(seed: 1)
    for d in [3, 8, 64, 128, 192] {
      let x = Matrix(rows: 7, cols: d, gaussianStd: 1, generator: &g)
      var y = Matrix(rows: 7, cols: d, repeating: 99)
      graph.multiply(x, into: &y)
      for r in 0..<7 {
        for c in 0..<d {
          let want = (0..<7).reduce(Float(0)) { $0 + dense[r][$1] * x[$1, c] }
          #expect(abs(y[r, c] - want) < 1e-5)
        }
      }
      // Listed rows only, compactly.
      let partial = graph.product(x, atRows: [4, 1])
      for c in 0..<d {
        #expect(abs(partial[0, c] - y[4, c]) < 1e-5)
        #expect(abs(partial[1, c] - y[1, c]) < 1e-5)
      }
    }
  }

  @Test(
    "a product pushed from a batch's rows, with a compact operand, scale, extra rows and half floats, matches dense",
    arguments: [(3, false), (64, false), (3, true), (64, true), (72, true)])
  func pushedProduct(d: Int, half: Bool) {
    let graph = NormalizedAdjacency(matrix)
    var g = SeededGenerator(seed: 3)
    // Compact operand and extra rows for nodes 0, 1 (users) and 5 (an item).
    let rows: [Int32] = [0, 1, 5]
    let compact = Matrix(rows: 3, cols: d, gaussianStd: 1, generator: &g)
    let extra = Matrix(rows: 3, cols: d, gaussianStd: 1, generator: &g)
    var full = Matrix(rows: 7, cols: d)
    for (t, node) in rows.enumerated() {
      for c in 0..<d { full[Int(node), c] = compact[t, c] }
    }
    var dense = Matrix(rows: 7, cols: d)
    graph.multiply(full, into: &dense)
    // Stale values everywhere: every row must be overwritten.
    var halfOut = [UInt16](repeating: Float16(99).bitPattern, count: 7 * d)
    var floatOut = [Float](repeating: 99, count: 7 * d)
    compact.withUnsafePointer { x in
      extra.withUnsafePointer { e in
        rows.withUnsafeBufferPointer { list in
          halfOut.withUnsafeMutableBytes { hb in
            floatOut.withUnsafeMutableBytes { fb in
              graph.push(
                x, rows: list, scale: 0.5, extra: e, extraWeight: 2, into: half ? hb.baseAddress! : fb.baseAddress!,
                half: half, dim: d)
            }
          }
        }
      }
    }
    for r in 0..<7 {
      let t = rows.firstIndex(of: Int32(r))
      for c in 0..<d {
        let want = 0.5 * dense[r, c] + (t.map { 2 * extra[$0, c] } ?? 0)
        let got = half ? Float(Float16(bitPattern: halfOut[r * d + c])) : floatOut[r * d + c]
        #expect(abs(got - want) <= (half ? 2e-3 * max(1, abs(want)) : 1e-5), "row \(r) col \(c)")
      }
    }
  }

  @Test(
    "the hand-derived backward pass matches central finite differences",
    arguments: [
      ([Float](), 3), ([0.1, 0.5, 0.4], 3), ([0.5, 0.5], 3), ([1.0], 3), ([0.25, 0.25, 0.25, 0.25], 3),
      ([0.1, 0.2, 0.3, 0.4], 64), ([0.1, 0.2, 0.3, 0.4], 128),
    ])
  func gradients(weights: [Float], dim: Int) {
    let w = weights.isEmpty ? [Float](repeating: 1.0 / 3, count: 3) : weights
    let model = LightGCN(matrix: matrix, dim: dim, weights: w, initStd: 0.7, seed: 5, precision: .float32)
    let users: [Int32] = [0, 1, 2, 1]
    let pos: [Int32] = [1, 3, 3, 2]
    let neg: [Int32] = [2, 0, 1, 0]
    let l2: Float = 0.2
    _ = model.accumulateGradients(users: users, positives: pos, negatives: neg, l2: l2)
    let analytic = model.embedding.grad.storage
    for i in 0..<model.embedding.count {
      let original = model.embedding.value.storage[i]
      let h: Float = 1e-2
      model.embedding.value.storage[i] = original + h
      let up = model.accumulateGradients(users: users, positives: pos, negatives: neg, l2: l2)
      model.embedding.value.storage[i] = original - h
      let down = model.accumulateGradients(users: users, positives: pos, negatives: neg, l2: l2)
      model.embedding.value.storage[i] = original
      let numeric = (up - down) / Double(2 * h)
      #expect(abs(numeric - Double(analytic[i])) < 3e-4, "element \(i): \(numeric) vs \(analytic[i])")
    }
  }

  @Test("the backward pass matches finite differences on a batch whose rows the products cut into chunks")
  func gradientsOverChunkedRows() {
    var g = SeededGenerator(seed: 21)
    let rows = (0..<300).map { _ in Array(Set((0..<5).map { _ in Int32(g.next() % 200) })).sorted() }
    let big = InteractionMatrix(rows: rows, columnCount: 200)
    let model = LightGCN(
      matrix: big, dim: 8, weights: [0.25, 0.25, 0.25, 0.25], initStd: 0.5, seed: 6, precision: .float32)
    let users = (0..<300).map { Int32($0) }
    let pos = users.map { big.row(Int($0)).first! }
    let neg = users.map { _ in Int32(g.next() % 200) }
    _ = model.accumulateGradients(users: users, positives: pos, negatives: neg, l2: 0.1)
    #expect(model.workspace.rows.count >= 256, "enough rows for several chunks")
    let analytic = model.embedding.grad.storage
    for _ in 0..<40 {
      let i = Int(g.next() % UInt64(model.embedding.count))
      let original = model.embedding.value.storage[i]
      let h: Float = 1e-2
      model.embedding.value.storage[i] = original + h
      let up = model.accumulateGradients(users: users, positives: pos, negatives: neg, l2: 0.1)
      model.embedding.value.storage[i] = original - h
      let down = model.accumulateGradients(users: users, positives: pos, negatives: neg, l2: 0.1)
      model.embedding.value.storage[i] = original
      let numeric = (up - down) / Double(2 * h)
      #expect(abs(numeric - Double(analytic[i])) < 2e-6, "element \(i): \(numeric) vs \(analytic[i])")
    }
  }

  @Test("half-precision training steps give the float32 gradient up to half-float rounding")
  func halfPrecisionGradient() {
    var g = SeededGenerator(seed: 9)
    let rows = (0..<40).map { _ in (0..<6).map { _ in Int32(g.next() % 30) } }
    let big = InteractionMatrix(rows: rows.map { Array(Set($0)).sorted() }, columnCount: 30)
    let users = (0..<32).map { Int32($0 % 40) }
    let pos = users.map { big.row(Int($0)).first! }
    let neg = (0..<32).map { _ in Int32(g.next() % 30) }
    var gradients: [[Float]] = []
    for precision in PropagationPrecision.allCases {
      let model = LightGCN(
        matrix: big, dim: 64, weights: [0.25, 0.25, 0.25, 0.25], initStd: 0.1, seed: 4, precision: precision)
      _ = model.accumulateGradients(users: users, positives: pos, negatives: neg, l2: 1e-4)
      gradients.append(model.embedding.grad.storage)
    }
    let scale = gradients[0].map { abs($0) }.max()!
    #expect(scale > 0)
    for (a, b) in zip(gradients[0], gradients[1]) { #expect(abs(a - b) <= 2e-3 * scale) }
  }

  @Test("scores are dot products of the propagated embeddings")
  func scoring() {
    let model = LightGCN(matrix: matrix, dim: 4, weights: [0.5, 0.5], initStd: 0.3, seed: 2)
    let graph = NormalizedAdjacency(matrix)
    var propagated = Matrix(rows: 7, cols: 4)
    graph.multiply(model.embedding.value, into: &propagated)
    var out = [Float](repeating: 0, count: 4)
    out.withUnsafeMutableBufferPointer { model.score([ScoringQuery(user: 1)][...], into: $0.baseAddress!) }
    for i in 0..<4 {
      var dot: Float = 0
      for c in 0..<4 {
        let user = 0.5 * (model.embedding.value[1, c] + propagated[1, c])
        let item = 0.5 * (model.embedding.value[3 + i, c] + propagated[3 + i, c])
        dot += user * item
      }
      #expect(abs(out[i] - dot) < 1e-5)
    }
  }

  @Test(
    "a training step (Adam fused into the last product from two layers on) equals the gradient and a separate Adam step",
    arguments: [
      (3, PropagationPrecision.float32, 3), (64, .float32, 3), (64, .float16, 3), (72, .float16, 3), (64, .float16, 2),
      (64, .float16, 1), (128, .float32, 3), (128, .float16, 3), (192, .float16, 2),
    ])
  func fusedAdamStep(dim: Int, precision: PropagationPrecision, layers: Int) {
    var g = SeededGenerator(seed: 11)
    let rows = (0..<40).map { _ in (0..<6).map { _ in Int32(g.next() % 30) } }
    let big = InteractionMatrix(rows: rows.map { Array(Set($0)).sorted() }, columnCount: 30)
    func model() -> LightGCN {
      LightGCN(
        matrix: big, dim: dim, weights: [Float](repeating: 1 / Float(layers + 1), count: layers + 1), initStd: 0.1,
        seed: 4, precision: precision)
    }
    let fused = model()
    let separate = model()
    let fusedAdam = Adam(learningRate: 0.01)
    let separateAdam = Adam(learningRate: 0.01)
    for step in 0..<3 {
      let users = (0..<32).map { Int32(($0 * 7 + step) % 40) }
      let pos = users.map { big.row(Int($0)).first! }
      let neg = (0..<32).map { _ in Int32(g.next() % 30) }
      let a = fused.step(users: users, positives: pos, negatives: neg, l2: 0.1, adam: fusedAdam)
      let b = separate.accumulateGradients(users: users, positives: pos, negatives: neg, l2: 0.1)
      separateAdam.step([separate.embedding])
      // Widths that are not multiples of 64 take the scalar epilogue, which rounds like the
      // portable Adam, not like the vector one the separate step uses: equal up to the last
      // bits, which half-float layers can turn into one half-float rounding step.
      #expect(abs(a - b) <= (dim % 64 == 0 ? 0 : 1e-6 * abs(b)), "step \(step) loss")
    }
    let tolerance: Float = precision == .float16 ? 2e-3 : 1e-5
    func largestRelativeDifference(_ x: [Float], _ y: [Float]) -> Float {
      zip(x, y).map { abs($0 - $1) / max(abs($1), 1e-12) }.max()!
    }
    let start = model().embedding.value.storage
    #expect(largestRelativeDifference(fused.embedding.value.storage, start) > 1e-3, "the steps moved the embeddings")
    #expect(largestRelativeDifference(fused.embedding.value.storage, separate.embedding.value.storage) < tolerance)
    let m = (fusedAdam.moments(of: fused.embedding)!, separateAdam.moments(of: separate.embedding)!)
    #expect(largestRelativeDifference(m.0.m, m.1.m) < tolerance)
    #expect(largestRelativeDifference(m.0.v, m.1.v) < tolerance)
  }

  @Test("widening by a random orthogonal projection keeps every dot product, and a widened LightGCN scores alike")
  func widening() {
    expectOrthonormalRows(Matrix.orthonormalRows(4, width: 12, seed: 3), tolerance: 1e-6)
    let narrow = LightGCN(matrix: matrix, dim: 4, weights: [0.25, 0.25, 0.25, 0.25], initStd: 0.5, seed: 2)
    let wide = LightGCN(matrix: matrix, dim: 12, weights: [0.25, 0.25, 0.25, 0.25], initStd: 0.5, seed: 2)
    wide.embedding.value = narrow.embedding.value.widened(to: 12, seed: 9)
    #expect(wide.embedding.value != narrow.embedding.value.widened(to: 12, seed: 10), "the seed picks the projection")
    wide.propagate()
    let queries = (0..<3).map { ScoringQuery(user: $0) }
    var a = [Float](repeating: 0, count: 3 * 4)
    var b = a
    a.withUnsafeMutableBufferPointer { narrow.score(queries[...], into: $0.baseAddress!) }
    b.withUnsafeMutableBufferPointer { wide.score(queries[...], into: $0.baseAddress!) }
    for k in a.indices { #expect(abs(a[k] - b[k]) < 1e-5 * max(1, abs(a[k])), "score \(k)") }
    #expect(a.contains { abs($0) > 1e-3 }, "the scores are not trivially zero")
  }

  @Test("training starts from the warm start, mapped by its rotation (learning rate 0 keeps it)")
  func trainingStartsFromWarmStart() throws {
    let data = smallSyntheticData()
    let nodes = data.userCount + data.itemCount
    var g = SeededGenerator(seed: 4)
    let start = Matrix(rows: nodes, cols: 6, gaussianStd: 0.3, generator: &g)
    for (rotation, width) in [(WarmStartRotation.none, 6), (.none, 10), (.itq, 10)] {
      var c = LightGCN.Configuration()
      c.dim = width
      c.layers = 2
      c.epochs = 1
      c.batchSize = 64
      c.learningRate = 0
      c.warmStart = start
      c.warmStartRotation = rotation
      let model = try LightGCN.train(on: data, configuration: c)
      let startsThere = model.embedding.value == model.mappedWarmStart(start, rotation: rotation, seed: c.seed)
      #expect(startsThere, "\(rotation) to \(width)")
    }
  }

  @Test("a training step's phases are each timed, and together take no longer than the training")
  func stepPhases() throws {
    let data = smallSyntheticData()
    var c = LightGCN.Configuration()
    c.dim = 8
    c.layers = 3
    c.epochs = 2
    c.batchSize = 64
    let start = Date()
    let model = try LightGCN.train(on: data, configuration: c)
    let wall = Date().timeIntervalSince(start)
    for (name, seconds) in model.phases.named { #expect(seconds > 0, "\(name)") }
    #expect(model.phases.total <= wall)
    #expect(model.phases.named.map(\.name).count == Set(model.phases.named.map(\.name)).count)
  }
}
