import ArgumentParser
import CompactRecKit
import Foundation

struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Export a model's vectors and ids for FAISS, NumPy and vector databases.")

  @Argument(help: "Model file (.crm).")
  var modelFile: String

  @Option(help: "numpy (items.npy, users.npy, 1-bit codes) or faiss (items.faiss, items.binary.faiss, users.npy).")
  var format: ExportDirectory.Format

  @Option(help: "Directory to write (created when missing; an existing one must be empty or hold an earlier export).")
  var out: String

  @Flag(help: "Print the result as JSON.")
  var json = false

  func run() throws {
    let model = try TrainedModel.load(from: modelFile)
    let export = try EmbeddingExport(model)
    let files = try ExportDirectory.write(export, of: model, source: modelFile, format: format, to: out, named: "--out")
    if json {
      try printJSON(
        .object([
          "out": .string(out), "format": .string(format.rawValue), "files": .array(files.map { .string($0) }),
          "dim": .number(Double(export.items.cols)), "items": .number(Double(export.items.rows)),
          "users": .number(Double(export.users.rows)),
        ]))
    } else {
      print(
        "exported \(terminalSafe(modelFile)) (\(model.kind), \(export.items.rows) items x \(export.items.cols)) to \(terminalSafe(out)): \(files.joined(separator: ", "))"
      )
    }
  }
}

extension ExportDirectory.Format: ExpressibleByArgument {}
