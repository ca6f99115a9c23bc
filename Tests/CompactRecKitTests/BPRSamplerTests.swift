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
}
