import Testing

@testable import CompactRecKit

@Suite("TopK")
struct TopKTests {
  @Test("ties rank the lower index first; -inf is never selected")
  func tiesAndMasking() {
    let scores: [Float] = [0.5, 0.9, 0.5, -.infinity, 0.9, 0.1]
    #expect(TopK.select(scores, k: 4) == [1, 4, 0, 2])
    #expect(TopK.select(scores, k: 10) == [1, 4, 0, 2, 5])
    #expect(TopK.select([-.infinity, .nan], k: 2) == [])
    #expect(TopK.select([], k: 3) == [])
  }

  @Test("matches a full sort on random rows of many lengths", arguments: [1, 15, 16, 17, 100, 1003])
  func matchesSort(count: Int) {
    var g = SeededGenerator(seed: UInt64(count))
    // Few distinct values, so ties are common.
    let scores = (0..<count).map { _ in Float(g.index(below: 7)) }
    for k in [1, 5, 20] {
      let expected = Array(
        scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(k)
      ).map { Int32($0) }
      #expect(TopK.select(scores, k: k) == expected)
    }
  }
}
