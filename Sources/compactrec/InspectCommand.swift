import ArgumentParser
import CompactRecKit
import Foundation

struct InspectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "Show a model file's kind, hyper-parameters, and parameters and bytes per component.")

  @Argument(help: "Model file (.crm).")
  var modelFile: String

  @Flag(help: "Print one JSON object.")
  var json = false

  func run() throws {
    let file = try ModelFile.read(from: modelFile)
    let fileBytes = (try? FileManager.default.attributesOfItem(atPath: modelFile)[.size] as? Int) ?? 0
    // Components: a tensor's name up to its first "/", or the whole name. The "history"
    // component holds the users' seen items, not model parameters; a model kind's state
    // tensors (a block-wise model's item order) count in bytes but not in parameters.
    let kind = ModelRegistry.type(forKind: file.kind)
    var order: [String] = []
    var parameters: [String: Int] = [:]
    var bytes: [String: Int] = [:]
    for t in file.tensors {
      let component = t.name.split(separator: "/").first.map(String.init) ?? t.name
      if parameters[component] == nil { order.append(component) }
      parameters[component, default: 0] +=
        kind?.parameters(inTensor: t.name, shape: t.shape, hyperParameters: file.hyperParameters) ?? t.elementCount
      bytes[component, default: 0] += t.bytes.count
    }
    // Block-wise sequential models and mixed-width graph models: the bytes and parameters of
    // each frequency block.
    var blockBytes: [Int: Int] = [:]
    var blockParameters: [Int: Int] = [:]
    let blockOf: ((String) -> Int?)? =
      kind == SequentialModel.self
      ? SequentialModel.frequencyBlock : kind == MixedWidthEmbeddings.self ? MixedWidthEmbeddings.frequencyBlock : nil
    if let blockOf, let kind {
      for t in file.tensors {
        guard let b = blockOf(t.name) else { continue }
        blockBytes[b, default: 0] += t.bytes.count
        blockParameters[b, default: 0] += kind.parameters(
          inTensor: t.name, shape: t.shape, hyperParameters: file.hyperParameters)
      }
    }
    let modelComponents = order.filter { $0 != "history" }
    let totalParameters = modelComponents.reduce(0) { $0 + parameters[$1]! }
    let modelBytes = modelComponents.reduce(0) { $0 + bytes[$1]! }
    if json {
      try printJSON(
        .object([
          "kind": .string(file.kind), "hyper_parameters": .object(file.hyperParameters),
          "users": .number(Double(file.userIDs.count)), "items": .number(Double(file.itemIDs.count)),
          "data_fingerprint": .string(file.dataFingerprint), "metadata": .object(file.metadata),
          "components": .array(
            order.map { c in
              .object([
                "name": .string(c), "parameters": .number(Double(parameters[c]!)), "bytes": .number(Double(bytes[c]!)),
              ])
            }),
          "tensors": .array(
            file.tensors.map { t in
              .object([
                "name": .string(t.name), "type": .string(t.type.rawValue),
                "shape": .array(t.shape.map { .number(Double($0)) }), "bytes": .number(Double(t.bytes.count)),
              ])
            }),
          "frequency_blocks": .array(
            blockBytes.keys.sorted().map { b in
              .object([
                "block": .number(Double(b)), "parameters": .number(Double(blockParameters[b]!)),
                "bytes": .number(Double(blockBytes[b]!)),
              ])
            }),
          "parameters": .number(Double(totalParameters)), "model_bytes": .number(Double(modelBytes)),
          "file_bytes": .number(Double(fileBytes)),
        ]))
      return
    }
    print(
      "\(terminalSafe(modelFile)): \(terminalSafe(file.kind)), \(file.userIDs.count) users, \(file.itemIDs.count) items, data \(file.dataFingerprint)"
    )
    if !file.hyperParameters.isEmpty {
      print(
        "hyper-parameters: "
          + file.hyperParameters.keys.sorted().map { terminalSafe("\($0)=\(describe(file.hyperParameters[$0]!))") }
          .joined(
            separator: " "))
    }
    if let line = trainingLine(file.metadata) { print(line) }
    print("component            parameters        bytes")
    for c in order {
      let label =
        c == "history"
        ? "history (seen items)"
        : c == SequentialModel.blockOrderTensor.prefix { $0 != "/" } ? "blocks (item order)" : terminalSafe(c)
      print(label.padding(toLength: 20, withPad: " ", startingAt: 0) + pad(parameters[c]!, 11) + pad(bytes[c]!, 13))
    }
    print(
      "total model".padding(toLength: 20, withPad: " ", startingAt: 0) + pad(totalParameters, 11) + pad(modelBytes, 13))
    for b in blockBytes.keys.sorted() {
      let label = "  frequency block \(b)".padding(toLength: 20, withPad: " ", startingAt: 0)
      print(label + pad(blockParameters[b]!, 11) + pad(blockBytes[b]!, 13))
    }
    print("file bytes: \(fileBytes)")
    for t in file.tensors {
      print("  tensor \(terminalSafe(t.name)) \(t.type.rawValue) \(t.shape.map(String.init).joined(separator: "x"))")
    }
  }

  /// How the model was trained, from the file's metadata: the data, the epochs, the best
  /// validation figure, a refit and a warm start (the float model a code was tuned from).
  private func trainingLine(_ metadata: [String: JSONValue]) -> String? {
    guard let training = metadata["training"], let summary = TrainingSummary(json: training) else { return nil }
    var line = "trained: \(summary.epochsRun) epochs"
    if let data = metadata["data"]?.stringValue { line += " on \(terminalSafe(data))" }
    if let seconds = metadata["train_seconds"]?.doubleValue { line += String(format: " in %.0f s", seconds) }
    line += validationText(summary, refitEpochs: training.objectValue?["refit_epochs"]?.intValue)
    if let start = metadata["recipe"]?.objectValue?["warm_start"]?.stringValue {
      line += "; warm start \(terminalSafe(start))"
    }
    return line
  }

  private func pad(_ n: Int, _ width: Int) -> String {
    let s = String(n)
    return String(repeating: " ", count: max(0, width - s.count)) + s
  }

  private func describe(_ v: JSONValue) -> String {
    switch v {
    case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
    case .string(let s): return s
    case .bool(let b): return String(b)
    case .array(let values) where values.allSatisfy({ if case .number = $0 { true } else { false } }):
      return values.map(describe).joined(separator: ",")
    default: return "…"
    }
  }
}
