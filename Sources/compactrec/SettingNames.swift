import CompactRecKit

/// The command line's words for the library's settings: `--split given`, `--history none`.
func commandLineName(_ setting: Setting, value: String?) -> String {
  switch setting {
  case .split: return "--split" + (value.map { " \($0)" } ?? "")
  case .format: return "--format" + (value.map { " \($0)" } ?? "")
  case .resume: return "--resume"
  case .keepHistories: return value == "false" ? "--history none" : "--history keep"
  }
}

/// `error` as the command line words it: a library error that names settings gets their flags.
func commandLineMessage(_ error: any Error) -> String {
  (error as? any SettingNamingError)?.message(naming: commandLineName) ?? "\(error)"
}
