import CompactRecKit

/// The command line's words for the library's settings: `--split given`, `--history none`.
func commandLineName(_ setting: Setting, value: String?) -> String {
  switch setting {
  case .split: return "--split" + (value.map { " \($0)" } ?? "")
  case .format: return "--format" + (value.map { " \($0)" } ?? "")
  case .resume: return "--resume"
  case .keepHistories: return value == "false" ? "--history none" : "--history keep"
  case .dim: return "--dim" + (value.map { " \($0)" } ?? "")
  case .batchSize: return "--batch-size" + (value.map { " \($0)" } ?? "")
  case .maxLength: return "--max-length" + (value.map { " \($0)" } ?? "")
  case .evaluateEvery: return "--eval-every" + (value.map { " \($0)" } ?? "")
  case .validationShare: return "--validation" + (value.map { " \($0)" } ?? "")
  case .warmStart: return "--warm-start" + (value.map { " \($0)" } ?? "")
  }
}

/// `error` as the command line words it: a library error that names settings gets their flags.
func commandLineMessage(_ error: any Error) -> String {
  (error as? any SettingNamingError)?.message(naming: commandLineName) ?? "\(error)"
}
