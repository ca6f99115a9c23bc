/// The fuzz targets of the one `CompactRecFuzz` binary, by the name `COMPACTREC_FUZZ_TARGET`
/// and `scripts/fuzz.sh` use. Each seeds from `Fuzz/corpus/<name>/`.
enum FuzzTarget: String, CaseIterable {
  /// Per-user lists (`user item item ...`, Gowalla's `train.txt`), see `fuzzLists`.
  case lists
  /// CSV / TSV / `.inter` logs with user, item and time columns.
  case delimited
  /// Session files, one comma-separated session per line.
  case sessions
  /// A `.crm` file, checksums verified: what `TrainedModel.load(from:)` does with it.
  case modelFile = "model-file"
  /// The same without the CRC32 comparisons, so that mutated headers and tensor bytes reach
  /// the reader's and the models' consistency checks (random mutations almost never pass a CRC).
  case modelHeader = "model-header"

  /// Feeds `bytes` to the target's code. Errors are refusals and are dropped.
  func run(_ bytes: [UInt8]) {
    switch self {
    case .lists: fuzzLists(bytes)
    case .delimited: fuzzDataFile(bytes, format: .delimited)
    case .sessions: fuzzDataFile(bytes, format: .sessions)
    case .modelFile: fuzzModelFile(bytes, verifyChecksums: true)
    case .modelHeader: fuzzModelFile(bytes, verifyChecksums: false)
    }
  }
}
