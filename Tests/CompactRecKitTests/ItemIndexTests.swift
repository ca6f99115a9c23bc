import Foundation
import Testing

@testable import CompactRecKit

/// The exact top-k by definition: every admissible item's score, sorted by score and then by
/// item, the first k.
private func reference(scores: [Float], filter: ItemFilter, k: Int) -> [Int32] {
  let admissible = (0..<Int32(scores.count)).filter { item in
    !filter.exclude.contains(item) && (filter.allow?.contains(item) ?? true)
  }
  let sorted = admissible.sorted { scores[Int($0)] != scores[Int($1)] ? scores[Int($0)] > scores[Int($1)] : $0 < $1 }
  return Array(sorted.prefix(k))
}

/// Filters of every kind for `queries` queries over `items` items: none, exclusions, an
/// allow-list, an allow-list smaller than k (12 here; searches use k of 8 to 20), and an
/// allow-list with some of it denied.
private func makeFilters(queries: Int, items: Int, generator g: inout SeededGenerator) -> [ItemFilter] {
  var out: [ItemFilter] = []
  for q in 0..<queries {
    func some(_ count: Int) -> [Int32] { (0..<count).map { _ in Int32(g.index(below: items)) } }
    out.append(filter(q, some))
  }
  return out
}

private func filter(_ q: Int, _ some: (Int) -> [Int32]) -> ItemFilter {
  let k = 12
  switch q % 5 {
  case 0: return ItemFilter()
  case 1: return ItemFilter(exclude: some(q % 13))
  case 2: return ItemFilter(allow: some(3 * k))
  case 3: return ItemFilter(allow: some(k / 2))
  default:
    let allowed = some(2 * k)
    return ItemFilter(exclude: Array(allowed.prefix(k / 2)) + some(3), allow: allowed)
  }
}

@Suite("ItemIndex")
struct ItemIndexTests {
  @Test("an allow-list becomes the exclusion of every other item, merged with the deny-list")
  func exclusions() {
    #expect(ItemFilter(exclude: [3, 1, 3]).exclusions(itemCount: 6) == [1, 3])
    #expect(ItemFilter(exclude: [4], allow: [4, 2, 2]).exclusions(itemCount: 6) == [0, 1, 3, 4, 5])
    #expect(ItemFilter(allow: []).exclusions(itemCount: 3) == [0, 1, 2])
    let merged = ItemFilter(exclude: [4], allow: [9, 2]).excluding([7, 4, 1])
    #expect(merged.exclude == [1, 4, 7] && merged.allow == [2, 9])
    #expect(ItemFilter(exclude: [0, 5]).isWithin(itemCount: 6) && !ItemFilter(allow: [6]).isWithin(itemCount: 6))
  }

  @Test("batches with allow-lists are searched in parts that bound their exclusion lists")
  func parts() {
    let plain = Array(repeating: ItemFilter(exclude: [1]), count: 50)
    #expect(ItemFilter.parts(plain, itemCount: 1 << 23) == [0..<50])
    let allowed = plain + [ItemFilter(allow: [3])]
    let ranges = ItemFilter.parts(allowed, itemCount: 1 << 20)  // 16 queries per part
    #expect(ranges.first == 0..<16 && ranges.last == 48..<51 && ranges.count == 4)
  }

  @Test(
    "code search equals the dequantized brute force under allow- and deny-lists, with k above the allowed count",
    arguments: [(1, 64), (1, 256), (2, 64), (3, 70), (4, 64), (8, 64)])
  func codesUnderFilters(bits: Int, dim: Int) {
    var g = SeededGenerator(seed: UInt64(31 * bits + dim))
    let q = RowQuantizer(bits: bits)
    var itemRows = Matrix(rows: 700, cols: dim, gaussianStd: 1, generator: &g)
    for r in 0..<700 { for c in 0..<dim { itemRows[r, c] *= 0.3 + Float(r % 11) / 4 } }
    let items = PackedCodes(quantizing: itemRows, with: q)
    let users = PackedCodes(quantizing: Matrix(rows: 40, cols: dim, gaussianStd: 1, generator: &g), with: q)
    let k = 12
    let filters = makeFilters(queries: 40, items: 700, generator: &g)
    let result = CodeSearchIndex(items: items).search(users, k: k, filters: filters)
    for u in 0..<40 {
      let scores = (0..<700).map { users.dot(row: u, with: items, row: $0) }
      #expect(result.rankings[u].items == reference(scores: scores, filter: filters[u], k: k), "user \(u)")
      #expect(result.rankings[u].scores == result.rankings[u].items.map { scores[Int($0)] })
    }
    #expect(result.statistics.pairs == 40 * 700)
  }

  @Test("float search and brute force over any model agree with the reference under filters")
  func floatAndBruteForceUnderFilters() {
    var g = SeededGenerator(seed: 5)
    var itemRows = Matrix(rows: 600, cols: 32, gaussianStd: 1, generator: &g)
    for r in 0..<600 { for c in 0..<32 { itemRows[r, c] *= (0.3 + Float(r % 7) / 3) / Float(1 + c / 4) } }
    let users = Matrix(rows: 90, cols: 32, gaussianStd: 1, generator: &g)
    let k = 10
    let filters = makeFilters(queries: 90, items: 600, generator: &g)
    let model = MatrixFactorization(userEmbedding: users, itemEmbedding: itemRows)
    let float = FloatSearchIndex(items: itemRows).search(users, k: k, filters: filters).rankings
    let queries = (0..<90).map { ScoringQuery(user: Int32($0)) }
    let brute = BruteForceIndex(model: model).search(queries, k: k, filters: filters).rankings
    var filtered = queries
    for q in filtered.indices { filtered[q].filter = filters[q] }
    let viaModel = model.recommend(filtered, k: k)
    for u in 0..<90 {
      let scores = (0..<600).map { i in (0..<32).reduce(Float(0)) { $0 + users[u, $1] * itemRows[i, $1] } }
      let want = reference(scores: scores, filter: filters[u], k: k)
      #expect(float[u].items == want, "float, user \(u)")
      #expect(brute[u].items == want, "brute force, user \(u)")
      #expect(viaModel[u].items == want, "model, user \(u)")
    }
  }

  @Test("the adaptive softmax's top-k under filters equals selecting from its exact scores")
  func adaptiveSoftmaxUnderFilters() throws {
    var g = SeededGenerator(seed: 6)
    let layer = try CpRecTests.wideSoftmax(items: 300, cutoffs: [37, 120], generator: &g)
    for p in layer.parameters {
      p.value = Matrix(rows: p.value.rows, cols: p.value.cols, gaussianStd: 0.5, generator: &g)
    }
    let h = Matrix(rows: 30, cols: 16, gaussianStd: 1, generator: &g)
    let filters = makeFilters(queries: 30, items: 300, generator: &g)
    let got = OutputLayerIndex(layer: layer).search(h, k: 8, filters: filters).rankings
    let scores = layer.scores(h)
    for r in 0..<30 {
      let row = (0..<300).map { scores[r, $0] }
      #expect(got[r].items == reference(scores: row, filter: filters[r], k: 8), "row \(r)")
    }
  }

  @Test("one index searched from 8 threads at once, repeatedly, gives the single-threaded results")
  func concurrentSearches() throws {
    var g = SeededGenerator(seed: 7)
    let itemRows = Matrix(rows: 3000, cols: 64, gaussianStd: 1, generator: &g)
    let userRows = Matrix(rows: 200, cols: 64, gaussianStd: 1, generator: &g)
    let filters = makeFilters(queries: 200, items: 3000, generator: &g)
    let codes = QuantizedEmbeddings(
      users: PackedCodes(quantizing: userRows, with: RowQuantizer(bits: 2)),
      items: PackedCodes(quantizing: itemRows, with: RowQuantizer(bits: 2)), layers: 0)
    // Models are not `Sendable` (training mutates them); their inference is safe on many
    // threads at once, which is what this test checks.
    nonisolated(unsafe) let float = MatrixFactorization(userEmbedding: userRows, itemEmbedding: itemRows)
    nonisolated(unsafe) let layer = try CpRecTests.wideSoftmax(items: 300, cutoffs: [37, 120], generator: &g)
    let hidden = Matrix(rows: 200, cols: 16, gaussianStd: 1, generator: &g)
    let layerFilters = makeFilters(queries: 200, items: 300, generator: &g)
    let queries = (0..<200).map {
      ScoringQuery(user: Int32($0), exclude: filters[$0].exclude, allow: filters[$0].allow)
    }
    let searches: [@Sendable () -> [Ranking]] = [
      { codes.recommend(queries, k: 20) },
      { float.recommend(queries, k: 20) },
      { OutputLayerIndex(layer: layer).search(hidden, k: 20, filters: layerFilters).rankings },
    ]
    for search in searches {
      let expected = search()
      let results = Results(count: 8)
      DispatchQueue.concurrentPerform(iterations: 8) { t in
        for _ in 0..<3 { results.record(t, search()) }
      }
      for t in 0..<8 { #expect(results.all(t).allSatisfy { $0 == expected }, "thread \(t)") }
    }
  }
}

/// Each thread's rankings, gathered under a lock.
private final class Results: @unchecked Sendable {
  private var rankings: [[[Ranking]]]
  private let lock = NSLock()

  init(count: Int) { rankings = Array(repeating: [], count: count) }

  func record(_ thread: Int, _ r: [Ranking]) {
    lock.lock()
    rankings[thread].append(r)
    lock.unlock()
  }

  func all(_ thread: Int) -> [[Ranking]] {
    lock.lock()
    defer { lock.unlock() }
    return rankings[thread]
  }
}
