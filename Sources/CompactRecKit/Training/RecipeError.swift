/// Why a model cannot be trained as asked, found before any training: the settings do not
/// fit together or the machine, or a warm start does not fit the run. The message names the
/// settings to change (`SettingText`), so a tool can word it with its own names.
public enum RecipeError: SettingNamingError, Equatable, Sendable {
  /// Settings that no model can be built from, in words a user can act on.
  case settings(String)
  /// Training would need about `bytes` of memory, more than the machine's `available`.
  case tooLarge(bytes: Double, available: Double)
  /// Early stopping is on (`evaluateEvery` above 0) but the data has no validation items.
  case noValidation
  /// The warm-start checkpoint at `path` cannot start this run, and why.
  case warmStart(path: String, reason: String)

  public func message(naming name: (Setting, String?) -> String) -> String {
    let text: SettingText
    switch self {
    case .settings(let problem): text = "these model settings do not fit: \(problem)"
    case .tooLarge(let bytes, let available):
      text =
        "this run would need about \(MachineMemory.format(bytes)) of memory, more than this machine's \(MachineMemory.format(available)); lower \(setting: .dim), \(setting: .batchSize) or \(setting: .maxLength)"
    case .noValidation:
      text =
        "early stopping needs validation items and the data has none: carve some (\(setting: .validationShare)) or train without it (\(setting: .evaluateEvery, "0"))"
    case .warmStart(let path, let reason): text = "\(setting: .warmStart): \(path) \(reason)"
    }
    return text.rendered(naming: name)
  }
}
