import ArgumentParser
import CompactRecKit
import Foundation

struct RecommendCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "recommend",
    abstract:
      "Recommend items for a known user, an item history or many users, in original ids; seen items are excluded.")

  @Argument(help: "Model file (.crm).")
  var modelFile: String

  @Option(help: "A user id from the training data.")
  var user: String?

  @Option(help: "An item history, oldest first, comma separated (original ids).")
  var history: String?

  @Option(
    help: ArgumentHelp(
      "Many users at once, one JSON line each: comma-separated ids, @FILE (ids separated by lines or commas), or all.",
      valueName: "IDS|@FILE|all"))
  var users: String?

  @Option(help: ArgumentHelp("Recommend only these items: comma-separated ids or @FILE.", valueName: "IDS|@FILE"))
  var allow: String?

  @Option(help: ArgumentHelp("Never recommend these items: comma-separated ids or @FILE.", valueName: "IDS|@FILE"))
  var deny: String?

  @Option(
    help:
      "With --users: write the JSON lines to this file (written atomically; an existing file is replaced only if an earlier --out wrote it)."
  )
  var out: String?

  @Option(name: .short, help: "How many items.")
  var k: Int = 20

  @Flag(help: "Print one JSON object.")
  var json = false

  func validate() throws {
    guard [user, history, users].compactMap({ $0 }).count == 1 else {
      throw ValidationError("give exactly one of --user, --history or --users")
    }
    try require(k, "-k", in: 1...100_000)
    if let history, IDList.split(history).isEmpty {
      throw ValidationError("--history is empty: give at least one item id, oldest first, comma separated")
    }
    if out != nil && users == nil { throw ValidationError("--out goes with --users (one JSON line per user)") }
    if json && users != nil { throw ValidationError("--users always writes JSON lines; drop --json") }
  }

  func run() throws {
    let inputs = [modelFile] + [users, allow, deny].compactMap { IDList.file(of: $0) }
    if let out { try OutputPath(out, option: "--out", replaceable: .recommendations).check(inputs: inputs) }
    let bundle = try TrainedModel.load(from: modelFile)
    if !bundle.hasHistories && history == nil {
      guard !(bundle.model is SequentialModel) else {
        throw UsageFailure(
          "\(terminalSafe(modelFile)) was saved with --history none, so its users have no sequences; give the items with --history"
        )
      }
      printWarning(
        "\(terminalSafe(modelFile)) was saved with --history none: seen items are not excluded (pass them with --deny)")
    }
    let filter = ItemFilter(
      exclude: try deny.map { try itemIndices(IDList.read($0, option: "--deny"), in: bundle, option: "--deny") } ?? [],
      allow: try allow.map { try itemIndices(IDList.read($0, option: "--allow"), in: bundle, option: "--allow") })
    if let users {
      try recommendMany(try userIndices(users, in: bundle), bundle: bundle, filter: filter)
      return
    }
    let items: [(item: String, score: Float)]
    if let user {
      items = try bundle.recommend(user: user, k: k, filter: filter)
    } else {
      items = try bundle.recommend(history: IDList.split(history!), k: k, filter: filter)
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

  /// Users per batched search: bounds memory and lets progress show.
  static let batch = 4096

  /// One JSON line per user, from the model's batched search, to `--out` (atomically) or
  /// standard output; progress on a terminal.
  private func recommendMany(_ users: [Int32], bundle: TrainedModel, filter: ItemFilter) throws {
    let progress = ProgressDisplay()
    func lines(_ emit: ([UInt8]) throws -> Void) throws {
      for first in stride(from: 0, to: users.count, by: Self.batch) {
        let part = users[first..<min(users.count, first + Self.batch)]
        let rankings = bundle.model.recommend(part.map { bundle.query(user: $0, filter: filter) }, k: k)
        var text = ""
        for (u, ranking) in zip(part, rankings) {
          text += RecommendationLine.json(user: bundle.users[u], bundle.named(ranking))
        }
        try emit(Array(text.utf8))
        progress.status("recommend: \(first + part.count)/\(users.count) users")
      }
    }
    if let out {
      let lock = try OutputLock(out, option: "--out")
      defer { lock.release() }
      try AtomicFile.write(to: out) { writer in try lines { try writer.write($0) } }
    } else {
      try lines { FileHandle.standardOutput.write(Data($0)) }
    }
    progress.finish()
  }

  /// Dense user indices of `--users`: every user for `all`, else the listed ids, all known.
  private func userIndices(_ text: String, in bundle: TrainedModel) throws -> [Int32] {
    if text == "all" { return Array(0..<Int32(bundle.users.count)) }
    let ids = try IDList.read(text, option: "--users")
    guard !ids.isEmpty else { throw UsageFailure("--users: no user ids in \(terminalSafe(text))") }
    return try indices(ids, in: bundle.users, option: "--users", what: "users of the model's training data")
  }

  /// Dense item indices of an item list, every id known to the model; an empty `--allow`
  /// (which would silently recommend nothing) is refused.
  private func itemIndices(_ ids: [String], in bundle: TrainedModel, option: String) throws -> [Int32] {
    if ids.isEmpty && option == "--allow" {
      throw UsageFailure("--allow: no item ids given; leave the option out to rank every item")
    }
    return try indices(ids, in: bundle.items, option: option, what: "items of the model")
  }

  /// The dense indices of `ids` in `map`, looked up once; unknown ids are refused, naming how
  /// many there are and the first.
  private func indices(_ ids: [String], in map: IDMap, option: String, what: String) throws -> [Int32] {
    let found = ids.map { map.index(of: $0) }
    guard let first = found.firstIndex(of: nil) else { return found.map { $0! } }
    let unknown = found.filter { $0 == nil }.count
    throw UsageFailure(
      "\(option): \(unknown) of \(ids.count) ids are not \(what), first '\(terminalSafe(ids[first]))'")
  }
}
