import Foundation

/// Where a training run keeps its checkpoint, and whether to continue from it.
///
/// A checkpoint is a model file (same format, CRC-checked, written atomically) holding the
/// parameters, the optimizer moments, the sampler's order and generator, the early-stopping
/// counters and the best snapshot, so a run killed at any moment resumes from its last
/// checkpointed epoch and ends exactly as an uninterrupted run would.
public struct CheckpointOptions: Sendable {
  /// The checkpoint file.
  public var path: String
  /// Continue from `path` when it exists (otherwise start fresh and create it).
  public var resume: Bool
  /// Seconds of training between checkpoints: an epoch writes one when this much time has
  /// passed since the last (or since the run began), and the run's last epoch always does.
  /// 0 writes one after every epoch. The default, a minute, bounds the work a kill loses
  /// while keeping the writes off short epochs: a LightGCN epoch on Gowalla takes 1.7 s and
  /// its checkpoint 0.2 s (RESULTS.md, issue 26).
  public var interval: Double

  public init(path: String, resume: Bool, interval: Double = 60) {
    precondition(interval >= 0, "the checkpoint interval must not be negative")
    self.path = path
    self.resume = resume
    self.interval = interval
  }
}

/// A checkpoint that cannot be continued with the current data or settings.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
  case mismatch(String)

  public var description: String {
    switch self {
    case .mismatch(let why): return "cannot resume: \(why)"
    }
  }
}

/// The settings a resumed run must share with its checkpoint: the whole `configuration`
/// (`Codable`) and the model's name, less the keys in `changeable` (settings a resumed run may
/// change, such as a longer epoch count), with the seed as text (exact beyond 2^53).
func checkpointSettings<C: Encodable>(
  of configuration: C, model: String, seed: UInt64, changeable: [String]
) throws -> [String: JSONValue] {
  var settings = try JSONValue(encoding: configuration).objectValue ?? [:]
  for key in changeable { settings[key] = nil }
  settings["seed"] = .string(String(seed))
  settings["model"] = .string(model)
  return settings
}

extension Parameter {
  /// This parameter, its Adam moments and the optimizer's step count as checkpoint tensors.
  func checkpointTensors(adam: Adam, prefix: String) -> [Tensor] {
    let shape = [value.rows, value.cols]
    var out = [Tensor(name: "\(prefix)/value", matrix: value)]
    if let (m, v) = adam.moments(of: self) {
      out.append(Tensor(name: "\(prefix)/adam_m", shape: shape, floats: m))
      out.append(Tensor(name: "\(prefix)/adam_v", shape: shape, floats: v))
    }
    out.append(Tensor(name: "\(prefix)/adam_step", shape: [1], uint64: [UInt64(adam.stepCount)]))
    return out
  }

  /// Restores what `checkpointTensors` saved; throws when shapes differ.
  func restoreCheckpoint(from file: ModelFile, adam: Adam, prefix: String) throws {
    let shape = [value.rows, value.cols]
    value.storage = try file.floats("\(prefix)/value", shape: shape)
    let step = Int(try file.uint64s("\(prefix)/adam_step", shape: [1])[0])
    let hasMoments = file.tensors.contains { $0.name == "\(prefix)/adam_m" }
    let moments =
      hasMoments
      ? (try file.floats("\(prefix)/adam_m", shape: shape), try file.floats("\(prefix)/adam_v", shape: shape)) : nil
    adam.restore(stepCount: step, moments: moments, of: self)
  }
}
