import Testing

@testable import CompactRecKit

@Suite("BPRSampler")
struct BPRSamplerTests {
  /// User 0 has 9 items, users 1 and 2 one each, user 3 none.
  private let matrix = InteractionMatrix(rows: [Array(0..<9), [3], [5], []], columnCount: 12)

  private func epoch(_ sampler: inout BPRSampler) -> (users: [Int32], positives: [Int32], negatives: [Int32]) {
    var users: [Int32] = []
    var positives: [Int32] = []
    var negatives: [Int32] = []
    sampler.shuffle()
    sampler.fill(0..<sampler.count, users: &users, positives: &positives, negatives: &negatives)
    return (users, positives, negatives)
  }

  @Test("interaction sampling visits every interaction once per epoch; negatives are unseen items")
  func interactions() {
    var sampler = BPRSampler(matrix: matrix, seed: 1)
    let (users, positives, negatives) = epoch(&sampler)
    #expect(users.count == 11)
    let pairs = Set(zip(users, positives).map { "\($0.0)-\($0.1)" })
    #expect(pairs.count == 11)
    for t in 0..<11 {
      #expect(matrix.contains(row: Int(users[t]), column: positives[t]))
      #expect(!matrix.contains(row: Int(users[t]), column: negatives[t]))
    }
  }

  @Test("user sampling weighs users with items equally and draws their own items; it is seeded")
  func users() {
    var sampler = BPRSampler(matrix: matrix, seed: 2, sampling: .users)
    var counts = [0, 0, 0, 0]
    for _ in 0..<300 {
      let (users, positives, _) = epoch(&sampler)
      #expect(users.count == 11)
      for t in 0..<11 {
        counts[Int(users[t])] += 1
        #expect(matrix.contains(row: Int(users[t]), column: positives[t]))
      }
    }
    // 3,300 draws over the three users with items: about 1,100 each; user 3 never.
    #expect(counts[3] == 0)
    for u in 0..<3 { #expect(abs(counts[u] - 1100) < 120, "user \(u): \(counts[u])") }
    var again = BPRSampler(matrix: matrix, seed: 2, sampling: .users)
    var first = BPRSampler(matrix: matrix, seed: 2, sampling: .users)
    #expect(epoch(&again).users == epoch(&first).users)
  }

  @Test("dynamic negatives: the chooser sees N unseen candidates per triple and its choice is kept")
  func dynamicNegatives() {
    var sampler = BPRSampler(matrix: matrix, seed: 3)
    sampler.shuffle()
    var users: [Int32] = []
    var positives: [Int32] = []
    var negatives: [Int32] = []
    var offered: [[Int32]] = []
    sampler.fill(0..<sampler.count, users: &users, positives: &positives, negatives: &negatives, candidates: 5) {
      user, candidates in
      offered.append(Array(candidates))
      #expect(candidates.allSatisfy { !matrix.contains(row: Int(user), column: $0) })
      return candidates.max()!  // a stand-in model that scores higher item indices higher
    }
    #expect(offered.count == 11 && offered.allSatisfy { $0.count == 5 })
    #expect(negatives == offered.map { $0.max()! })
    #expect(Set(offered.flatMap { $0 }).count > 2, "the candidates are drawn, not fixed")
    // NegativeSampling parses its command-line spelling.
    #expect(
      NegativeSampling("dns:8") == .dynamic(candidates: 8, epochs: nil) && NegativeSampling("uniform") == .uniform)
    #expect(NegativeSampling("dns:8:30") == .dynamic(candidates: 8, epochs: 30))
    #expect(NegativeSampling("dns:1") == nil && NegativeSampling("dns") == nil && NegativeSampling("dns:8:0") == nil)
    #expect(NegativeSampling("dns:8:30")!.candidates(inEpoch: 30) == 8)
    #expect(NegativeSampling("dns:8:30")!.candidates(inEpoch: 31) == 1)
  }

  @Test("popularity negatives are unseen items drawn in proportion to (training users + 1)^A")
  func popularityNegatives() {
    // Training users per item: 1 for items 0-8 but 2 for items 3 and 5, 0 for items 9-11; so
    // with A = 2 the weights are 4, 9 (items 3 and 5) and 1 (items 9-11).
    var sampler = BPRSampler(matrix: matrix, seed: 4, negatives: .popularity(exponent: 2))
    var drawnFor1 = [Int](repeating: 0, count: 12)
    var drawnFor0 = Set<Int32>()
    for _ in 0..<3000 {
      let (users, _, negatives) = epoch(&sampler)
      for t in users.indices {
        #expect(!matrix.contains(row: Int(users[t]), column: negatives[t]))
        if users[t] == 1 { drawnFor1[Int(negatives[t])] += 1 }
        if users[t] == 0 { drawnFor0.insert(negatives[t]) }
      }
    }
    // User 1 lacks items 0-2, 4-11: weights 4 x 7, 9 (item 5) and 1 x 3, 40 in all.
    #expect(drawnFor1[3] == 0)
    #expect(abs(drawnFor1[5] - 675) < 80, "item 5: \(drawnFor1[5]) of 3000")
    #expect(abs(drawnFor1[0] - 300) < 60, "item 0: \(drawnFor1[0]) of 3000")
    #expect(abs(drawnFor1[9] - 75) < 30, "item 9: \(drawnFor1[9]) of 3000")
    // User 0 has items 0-8, so only the never-seen items remain, and all of them come up.
    #expect(drawnFor0 == [9, 10, 11])
    #expect(NegativeSampling("pop:0.75") == .popularity(exponent: 0.75))
    #expect(NegativeSampling("pop:0.75")!.description == "pop:0.75")
    #expect(NegativeSampling("pop:0") == nil && NegativeSampling("pop:3") == nil && NegativeSampling("pop") == nil)
    #expect(NegativeSampling("pop:-0.5") == .popularity(exponent: -0.5))
    #expect(NegativeSampling("pop:1")!.candidates(inEpoch: 1) == 1)
  }

  @Test("the alias table draws each index in proportion to its weight, and never a zero weight")
  func aliasTable() {
    let weights: [Double] = [1, 0, 3, 6, 0.5, 0.5]
    let table = AliasTable(weights: weights)
    var generator = SeededGenerator(seed: 5)
    var counts = [Int](repeating: 0, count: weights.count)
    let draws = 110_000
    for _ in 0..<draws { counts[table.draw(using: &generator)] += 1 }
    #expect(counts[1] == 0)
    for (i, w) in weights.enumerated() where w > 0 {
      let expected = Double(draws) * w / 11
      // Within 4 standard deviations of the binomial count.
      #expect(
        abs(Double(counts[i]) - expected) < 4 * (expected * (1 - w / 11)).squareRoot(), "index \(i): \(counts[i])")
    }
    let single = AliasTable(weights: [0, 0, 2])
    #expect((0..<100).allSatisfy { _ in single.draw(using: &generator) == 2 })
  }
}
