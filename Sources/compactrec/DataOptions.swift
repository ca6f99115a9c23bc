import ArgumentParser
import CompactRecKit
import Foundation

/// Options that say where interactions are and how to read and split them; shared by every
/// subcommand that loads data.
struct DataOptions: ParsableArguments {
  @Option(
    help:
      "Data: a directory with train.txt and test.txt, or one file (.txt per-user lists, .csv/.tsv/.inter logs, sessions)."
  )
  var data: String

  @Option(help: "Split for a single file: given, loo (leave-one-out by time), ratio:TEST[:VALID], sequence[:TEST].")
  var split: String?

  @Option(help: "Input format: auto, lists, csv, sessions.")
  var format: String = "auto"

  @Option(name: .customLong("user-column"), help: "Delimited logs: the user column's name (or 1-based position).")
  var userColumn: String?

  @Option(name: .customLong("item-column"), help: "Delimited logs: the item column's name (or 1-based position).")
  var itemColumn: String?

  @Option(name: .customLong("time-column"), help: "Delimited logs: the timestamp column's name (or 1-based position).")
  var timeColumn: String?

  @Option(help: "Repeated (user, item) pairs: keep or drop (default: keep for sequences, drop otherwise).")
  var duplicates: String?

  @Flag(
    name: .customLong("skip-bad-lines"),
    help: "Skip malformed lines and unknown test ids, counting them, instead of stopping.")
  var skipBadLines = false

  @Option(name: .customLong("data-seed"), help: "Seed for random splits (default 42).")
  var dataSeed: UInt64?

  /// These options, with those the user did not give taken from `recorded` (a model file's
  /// `data_options`): the split, seed, format, columns and duplicate policy.
  func defaulting(to recorded: [String: JSONValue]) -> DataOptions {
    var o = self
    o.split = split ?? recorded["split"]?.stringValue
    o.dataSeed = dataSeed ?? recorded["data_seed"]?.stringValue.flatMap { UInt64($0) }
    if format == "auto", let recordedFormat = recorded["format"]?.stringValue { o.format = recordedFormat }
    o.userColumn = userColumn ?? recorded["user_column"]?.stringValue
    o.itemColumn = itemColumn ?? recorded["item_column"]?.stringValue
    o.timeColumn = timeColumn ?? recorded["time_column"]?.stringValue
    o.duplicates = duplicates ?? recorded["duplicates"]?.stringValue
    return o
  }

  /// Loads the data set as the options say; errors name file, line and column.
  func load() throws -> Dataset {
    guard let format = InputFormat(rawValue: format) else {
      throw UsageFailure(
        "unknown --format '\(format)' (expected one of: \(InputFormat.allCases.map(\.rawValue).joined(separator: ", ")))"
      )
    }
    var options = LoadOptions()
    options.format = format
    do {
      options.split = try split.map { try SplitStrategy(parsing: $0, seed: dataSeed ?? SplitStrategy.defaultSeed) }
    } catch {
      throw UsageFailure(commandLineMessage(error))
    }
    options.userColumn = userColumn
    options.itemColumn = itemColumn
    options.timeColumn = timeColumn
    if let duplicates {
      guard let policy = DuplicatePolicy(rawValue: duplicates) else {
        throw UsageFailure("--duplicates must be keep or drop, not '\(duplicates)'")
      }
      options.duplicates = policy
    }
    options.skipBadLines = skipBadLines
    return try DataLoader.load(path: data, options: options)
  }
}

/// Parses a comma-separated list of positive integers such as `5,10,20`.
func parseCutoffs(_ text: String) throws -> [Int] {
  let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
  guard !values.isEmpty, values.allSatisfy({ (1...100_000).contains($0 ?? 0) }) else {
    throw UsageFailure(
      "--k must be a comma-separated list of integers between 1 and 100000, e.g. 5,10,20 (got '\(text)')")
  }
  return values.map { $0! }
}
