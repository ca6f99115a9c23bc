import Foundation

/// Bounds on the integer settings of every model; far beyond any useful model, small enough
/// that no size computed from them overflows. The command line and the model-file reader
/// refuse anything outside them (a dilation of 2^62, 35 TB of positions) with a message
/// instead of a crash.
public enum SettingLimits {
  /// Embedding and hidden width.
  public static let dim = 1...16_384
  public static let epochs = 1...1_000_000
  public static let batchSize = 1...(1 << 24)
  public static let maxLength = 1...100_000
  public static let dilation = 1...65_536
  public static let dilationCount = 1...256
  public static let blocks = 1...256
  public static let heads = 1...16_384
  public static let gruLayers = 1...256
  public static let blockFactor = 1...16_384
  public static let propagationLayers = 0...64
}

/// Memory the machine has, for refusing requests far beyond it.
public enum MachineMemory {
  /// Physical memory in bytes.
  public static var bytes: Double { Double(ProcessInfo.processInfo.physicalMemory) }

  /// `bytes` as "24.0 GB".
  public static func format(_ bytes: Double) -> String {
    String(format: "%.1f GB", bytes / 1e9)
  }
}
