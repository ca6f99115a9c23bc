import ArgumentParser
import CompactRecKit
import Foundation

struct RecommendCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "recommend",
    abstract: "Recommend items for a known user or an item history, in original ids; seen items are excluded.")

  @Argument(help: "Model file (.crm).")
  var modelFile: String

  @Option(help: "A user id from the training data.")
  var user: String?

  @Option(help: "An item history, oldest first, comma separated (original ids).")
  var history: String?

  @Option(name: .short, help: "How many items.")
  var k: Int = 20

  @Flag(help: "Print one JSON object.")
  var json = false

  func validate() throws {
    guard (user == nil) != (history == nil) else { throw ValidationError("give exactly one of --user or --history") }
    try require(k, "-k", in: 1...100_000)
    if let history, historyIDs(history).isEmpty {
      throw ValidationError("--history is empty: give at least one item id, oldest first, comma separated")
    }
  }

  func run() throws {
    let bundle = try TrainedModel.load(from: modelFile)
    let items: [(item: String, score: Float)]
    if let user {
      items = try bundle.recommend(user: user, k: k)
    } else {
      items = try bundle.recommend(history: historyIDs(history!), k: k)
    }
    if json {
      var out: [String: JSONValue] = [
        "k": .number(Double(k)),
        "items": .array(items.map { .object(["item": .string($0.item), "score": .number(Double($0.score))]) }),
      ]
      if let user { out["user"] = .string(user) } else { out["history"] = .string(history!) }
      try printJSON(.object(out))
    } else {
      for (rank, entry) in items.enumerated() {
        print("\(rank + 1)\t\(terminalSafe(entry.item))\t\(String(format: "%.4f", entry.score))")
      }
    }
  }

  /// The ids of a `--history` list, blanks dropped.
  private func historyIDs(_ text: String) -> [String] {
    text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  }
}
