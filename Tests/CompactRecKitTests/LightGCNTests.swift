import Foundation
import Testing

@testable import CompactRecKit

@Suite("LightGCN")
struct LightGCNTests {
  private let matrix = InteractionMatrix(rows: [[0, 1], [1, 2, 3], [3]], columnCount: 4)

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
    for d in [3, 8, 64] {
      let x = Matrix(rows: 7, cols: d, gaussianStd: 1, generator: &g)
      var y = Matrix(rows: 7, cols: d, repeating: 99)
      graph.multiply(x, into: &y)
      for r in 0..<7 {
        for c in 0..<d {
          let want = (0..<7).reduce(Float(0)) { $0 + dense[r][$1] * x[$1, c] }
          #expect(abs(y[r, c] - want) < 1e-5)
        }
      }
      // Listed rows only.
      var partial = Matrix(rows: 7, cols: d, repeating: 99)
      graph.multiply(x, into: &partial, rows: [1, 4])
      for r in 0..<7 {
        for c in 0..<d {
          let want = [1, 4].contains(r) ? y[r, c] : 99
          #expect(abs(partial[r, c] - want) < 1e-5)
        }
      }
      // Scatter from rows 0 and 5 equals A times x masked to those rows, added to y0.
      var scattered = Matrix(rows: 7, cols: d, repeating: 1)
      graph.accumulateProduct(ofRows: [0, 5], of: x, into: &scattered)
      for r in 0..<7 {
        for c in 0..<d {
          let want = 1 + [0, 5].reduce(Float(0)) { $0 + dense[r][$1] * x[$1, c] }
          #expect(abs(scattered[r, c] - want) < 1e-5)
        }
      }
    }
  }

  @Test(
    "the hand-derived backward pass matches central finite differences",
    arguments: [[Float](), [0.1, 0.5, 0.4], [0.5, 0.5], [1.0], [0.25, 0.25, 0.25, 0.25]])
  func gradients(weights: [Float]) {
    let w = weights.isEmpty ? [Float](repeating: 1.0 / 3, count: 3) : weights
    let model = LightGCN(matrix: matrix, dim: 3, weights: w, initStd: 0.7, seed: 5)
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
}
