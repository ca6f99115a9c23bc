import Foundation
import Testing

@testable import CompactRecKit

@Suite("Iterative quantization (ITQ)")
struct IterativeQuantizationTests {
  /// Seeded Gaussian rows.
  private func gaussianRows(_ n: Int, _ d: Int, seed: UInt64) -> Matrix {
    var g = SeededGenerator(seed: seed)
    return Matrix(rows: n, cols: d, gaussianStd: 1, generator: &g)
  }

  /// What ITQ maximizes: sum over unit rows v of ||v R||_1, the agreement of v R with its own
  /// signs, tr(R^T V^T sign(V R)).
  private func signAgreement(_ rows: Matrix, _ map: Matrix) -> Double {
    rows.unitRows().projected(by: map).storage.reduce(0) { $0 + Double(abs($1)) }
  }

  @Test("the map has orthonormal rows, square or widening, and is seeded; also from a handful of rows")
  func orthonormal() {
    expectOrthonormalRows(IterativeQuantization.projection(for: gaussianRows(3, 4, seed: 1), width: 4, seed: 2))
    let v = gaussianRows(300, 6, seed: 1)
    for width in [6, 16] {
      let r = IterativeQuantization.projection(for: v, width: width, iterations: 10, seed: 4)
      #expect(r.rows == 6 && r.cols == width)
      expectOrthonormalRows(r)
      #expect(r == IterativeQuantization.projection(for: v, width: width, iterations: 10, seed: 4))
      #expect(r != IterativeQuantization.projection(for: v, width: width, iterations: 10, seed: 50))
    }
  }

  @Test("each alternation raises the sign agreement above the random start's")
  func monotone() {
    let v = gaussianRows(500, 8, seed: 2)
    let agreements = [0, 1, 2, 5, 20].map {
      signAgreement(v, IterativeQuantization.projection(for: v, width: 8, iterations: $0, restarts: 1, seed: 3))
    }
    for (a, b) in zip(agreements, agreements.dropFirst()) { #expect(b >= a * (1 - 1e-6), "\(agreements)") }
    #expect(agreements.last! > agreements.first! * 1.01, "\(agreements)")
  }

  @Test("points on a rotated hypercube are rotated back onto it: no sign error left")
  func plantedHypercube() {
    let (n, d) = (400, 6)
    var g = SeededGenerator(seed: 7)
    let cube = Matrix(rows: n, cols: d, storage: (0..<(n * d)).map { _ in Float(g.next() & 1 == 0 ? -1 : 1) })
    let rotated = cube.projected(by: Matrix.orthonormalRows(d, width: d, seed: 8))
    let best = Double(n) * Double(d).squareRoot()  // ||v||_1 <= sqrt(d) ||v||_2, equal on a vertex
    #expect(signAgreement(rotated, Matrix.orthonormalRows(d, width: d, seed: 9)) < 0.95 * best)
    let r = IterativeQuantization.projection(for: rotated, width: d, restarts: 8, seed: 9)
    #expect(signAgreement(rotated, r) > (1 - 1e-4) * best)
  }

  @Test("the fit weighs directions: rows are scaled to unit length, zero rows stay zero")
  func unitRows() {
    let m = Matrix(rows: 3, cols: 2, storage: [3, 4, 0, 0, -0.5, 0])
    #expect(m.unitRows().storage == [0.6, 0.8, 0, 0, -1, 0])
  }

  @Test("the polar factor of S Q (S symmetric positive definite, Q orthonormal rows) is Q")
  func polarFactor() {
    let q = Matrix.orthonormalRows(3, width: 5, seed: 11)
    let s = Matrix(rows: 3, cols: 3, storage: [4, 1, 0, 1, 3, 0.5, 0, 0.5, 2])
    let p = IterativeQuantization.polarFactor(q.transposed().projected(by: s.transposed()).transposed())!
    for k in q.storage.indices { #expect(abs(p.storage[k] - q.storage[k]) < 1e-5, "element \(k)") }
    let singular = Matrix(rows: 2, cols: 3, storage: [1, 2, 3, 2, 4, 6])
    #expect(IterativeQuantization.polarFactor(singular) == nil, "rank 1 has no unique closest map")
  }

  @Test("an ITQ-mapped LightGCN warm start keeps every score, at the same width and widened")
  func warmStartKeepsScores() {
    let matrix = InteractionMatrix(rows: [[0, 1], [1, 2, 3], [3], [0, 2]], columnCount: 4)
    let weights: [Float] = [0.25, 0.25, 0.25, 0.25]
    let start = LightGCN(matrix: matrix, dim: 4, weights: weights, initStd: 0.5, seed: 2)
    let queries = (0..<4).map { ScoringQuery(user: $0) }
    func scores(_ model: LightGCN) -> [Float] {
      var out = [Float](repeating: 0, count: queries.count * 4)
      out.withUnsafeMutableBufferPointer { model.score(queries[...], into: $0.baseAddress!) }
      return out
    }
    let expected = scores(start)
    #expect(expected.contains { abs($0) > 1e-3 }, "the scores are not trivially zero")
    for width in [4, 12] {
      let model = LightGCN(matrix: matrix, dim: width, weights: weights, initStd: 0.5, seed: 3)
      model.embedding.value = model.mappedWarmStart(start.embedding.value, rotation: .itq, seed: 5)
      #expect(model.embedding.value != start.embedding.value.widened(to: width, seed: 5), "not the random map")
      model.propagate()
      let got = scores(model)
      for k in got.indices { #expect(abs(got[k] - expected[k]) < 1e-5 * max(1, abs(expected[k])), "score \(k)") }
    }
  }
}
