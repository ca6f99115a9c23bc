import Testing

@testable import CompactRecKit

@Suite("FloatSearchIndex")
struct FloatSearchIndexTests {
  /// Brute force in Double: the reference ranking (score desc, index asc).
  private func reference(_ users: Matrix, _ items: Matrix, exclude: [[Int32]], k: Int) -> [[Int32]] {
    (0..<users.rows).map { u in
      let banned = Set(exclude[u])
      let scored = (0..<items.rows).filter { !banned.contains(Int32($0)) }.map { i -> (Int, Double) in
        var s = 0.0
        for c in 0..<users.cols { s += Double(users[u, c]) * Double(items[i, c]) }
        return (i, s)
      }
      return scored.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(k).map { Int32($0.0) }
    }
  }

  @Test("equals brute force, seen items excluded", arguments: [(8, 5), (64, 20), (37, 10), (64, 1)])
  func matchesBruteForce(dim: Int, k: Int) {
    var g = SeededGenerator(seed: UInt64(dim * 100 + k))
    // Items with a decaying spectrum and varied norms, as trained embeddings have.
    var items = Matrix(rows: 1003, cols: dim, gaussianStd: 1, generator: &g)
    for i in 0..<items.rows {
      let scale = 0.2 + 2 * g.unitFloat()
      for c in 0..<dim { items[i, c] *= scale / Float(1 + c / 4) }
    }
    let users = Matrix(rows: 150, cols: dim, gaussianStd: 1, generator: &g)
    let exclude = (0..<users.rows).map { _ in (0..<30).map { _ in Int32(g.index(below: items.rows)) } }
    let index = FloatSearchIndex(items: items)
    let got = index.search(users, k: k, filters: exclude.map { ItemFilter(exclude: $0) }).rankings
    let want = reference(users, items, exclude: exclude, k: k)
    for u in 0..<users.rows {
      #expect(got[u].items == want[u], "user \(u)")
      #expect(zip(got[u].scores, got[u].scores.dropFirst()).allSatisfy { $0 >= $1 })
    }
  }

  @Test("isotropic embeddings, where the bound prunes little, fall back and still equal brute force")
  func isotropicFallback() {
    var g = SeededGenerator(seed: 11)
    let items = Matrix(rows: 800, cols: 64, gaussianStd: 1, generator: &g)
    let users = Matrix(rows: 230, cols: 64, gaussianStd: 1, generator: &g)
    let exclude = (0..<users.rows).map { _ in (0..<10).map { _ in Int32(g.index(below: items.rows)) } }
    let got = FloatSearchIndex(items: items).search(users, k: 7, filters: exclude.map { ItemFilter(exclude: $0) })
      .rankings
    let want = reference(users, items, exclude: exclude, k: 7)
    for u in 0..<users.rows { #expect(got[u].items == want[u], "user \(u)") }
  }

  @Test("returns fewer than k when fewer items remain")
  func fewItems() {
    var g = SeededGenerator(seed: 9)
    let items = Matrix(rows: 5, cols: 32, gaussianStd: 1, generator: &g)
    let users = Matrix(rows: 2, cols: 32, gaussianStd: 1, generator: &g)
    let got = FloatSearchIndex(items: items).search(
      users, k: 10, filters: [ItemFilter(exclude: [0, 1, 2]), ItemFilter()]
    ).rankings
    #expect(got[0].items.count == 2)
    #expect(Set(got[1].items) == Set(0..<5))
  }

  @Test("principal axes: Jacobi recovers a known decomposition")
  func jacobi() {
    // A = Q diag(5, 2, 1) Q^T for a rotation Q.
    let c = 0.6
    let s = 0.8
    let q = [c, -s, 0, s, c, 0, 0, 0, 1]
    let lambda = [5.0, 2, 1]
    var a = [Double](repeating: 0, count: 9)
    for i in 0..<3 { for j in 0..<3 { for t in 0..<3 { a[i * 3 + j] += q[i * 3 + t] * lambda[t] * q[j * 3 + t] } } }
    let (values, vectors) = SymmetricEigen.decompose(a, n: 3)
    for (x, y) in zip(values, lambda) { #expect(abs(x - y) < 1e-10) }
    for col in 0..<3 {
      let dot = (0..<3).reduce(0.0) { $0 + vectors[$1 * 3 + col] * q[$1 * 3 + col] }
      #expect(abs(abs(dot) - 1) < 1e-10)
    }
  }
}
