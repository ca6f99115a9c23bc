import Foundation
import Testing

@testable import CompactRecKit

@Suite("RankingMetrics")
struct RankingMetricsTests {
  private func metrics(_ ranked: [Int32], _ relevant: [Int32], _ cutoffs: [Int]) -> [String: Double] {
    var acc = MetricAccumulator(cutoffs: cutoffs)
    acc.add(ranked: ranked, relevant: relevant)
    return acc.averages()
  }

  @Test("hits at ranks 1 and 3 of 5, two relevant items")
  func handComputed() {
    let m = metrics([7, 1, 9, 4, 5], [7, 9], [3, 5])
    // DCG@3 = 1/log2(2) + 1/log2(4) = 1.5; IDCG@3 = 1 + 1/log2(3).
    let idcg = 1 + 1 / log2(3.0)
    #expect(abs(m["ndcg@3"]! - 1.5 / idcg) < 1e-12)
    #expect(m["recall@3"] == 1)
    #expect(abs(m["precision@3"]! - 2.0 / 3) < 1e-12)
    #expect(m["precision@5"] == 0.4)
    #expect(m["hr@3"] == 1)
    #expect(m["mrr@5"] == 1)
  }

  @Test("fewer relevant items than K: ideal DCG over min(|R|, K)")
  func fewRelevant() {
    let m = metrics([3, 2, 1, 0], [0], [2, 4])
    #expect(m["recall@2"] == 0)
    #expect(m["ndcg@2"] == 0)
    #expect(m["hr@2"] == 0)
    #expect(m["recall@4"] == 1)
    // Single relevant item at rank 4: DCG = 1/log2(5), IDCG = 1.
    #expect(abs(m["ndcg@4"]! - 1 / log2(5.0)) < 1e-12)
    #expect(m["mrr@4"] == 0.25)
    #expect(m["precision@4"] == 0.25)
  }

  @Test("more relevant items than K: recall divides by |R|, IDCG saturates at K")
  func manyRelevant() {
    let m = metrics([1, 2], [1, 2, 3, 4], [2])
    #expect(m["recall@2"] == 0.5)
    #expect(abs(m["ndcg@2"]! - 1) < 1e-12)
  }

  @Test("users with no relevant items are left out of the means")
  func emptyRelevant() {
    var acc = MetricAccumulator(cutoffs: [1])
    #expect(acc.add(ranked: [1, 2], relevant: [Int32]()) == false)
    acc.add(ranked: [1, 2], relevant: [1])
    acc.add(ranked: [1, 2], relevant: [2])
    #expect(acc.users == 2)
    #expect(acc.averages()["hr@1"] == 0.5)
  }

  @Test("a list shorter than K counts the missing ranks as misses")
  func shortList() {
    let m = metrics([5], [5, 6], [3])
    #expect(m["recall@3"] == 0.5)
    #expect(abs(m["precision@3"]! - 1.0 / 3) < 1e-12)
  }

  @Test("sampled rank: HR, NDCG and MRR of one target")
  func sampledRank() {
    var acc = MetricAccumulator(cutoffs: [1, 5])
    acc.add(targetRank: 3)
    let m = acc.averages()
    #expect(m["hr@1"] == 0)
    #expect(m["hr@5"] == 1)
    #expect(abs(m["ndcg@5"]! - 0.5) < 1e-12)
    #expect(abs(m["mrr@5"]! - 1.0 / 3) < 1e-12)
  }
}
