import CompactRecKit
import Foundation

/// Prints one JSON object on standard output (sorted keys, so output is stable to diff).
func printJSON(_ value: JSONValue) throws {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
  print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// `metric -> value` as a JSON object.
func jsonMetrics(_ metrics: [String: Double]) -> JSONValue {
  .object(metrics.mapValues { .number(($0 * 1e6).rounded() / 1e6) })
}

/// Metrics in a fixed, readable order: recall, precision, ndcg, hr, mrr, each by cutoff.
func orderedMetricKeys(_ metrics: [String: Double]) -> [String] {
  let order = ["recall", "precision", "ndcg", "hr", "mrr"]
  return metrics.keys.sorted { a, b in
    let (na, ka) = splitKey(a)
    let (nb, kb) = splitKey(b)
    let ia = order.firstIndex(of: na) ?? order.count
    let ib = order.firstIndex(of: nb) ?? order.count
    return ia != ib ? ia < ib : ka < kb
  }
}

private func splitKey(_ key: String) -> (String, Int) {
  let parts = key.split(separator: "@")
  return (String(parts[0]), parts.count > 1 ? Int(parts[1]) ?? 0 : 0)
}
