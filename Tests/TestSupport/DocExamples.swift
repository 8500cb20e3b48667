import Foundation

/// The ```sql blocks of a guide in docs/, in order: the examples the docs tests run as written.
public func sqlExamples(inDocs name: String) throws -> [String] {
    let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "../../docs/\(name)").standardizedFileURL
    let text = try String(contentsOf: docs, encoding: .utf8)
    return text.components(separatedBy: "```sql\n").dropFirst().compactMap { $0.components(separatedBy: "```").first }
}

/// The fenced blocks of `language` (`sh`, …) in docs/`name`, in order.
public func codeExamples(_ language: String, inDocs name: String) throws -> [String] {
    let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "../../docs/\(name)").standardizedFileURL
    let text = try String(contentsOf: docs, encoding: .utf8)
    return text.components(separatedBy: "```\(language)\n").dropFirst().compactMap { $0.components(separatedBy: "```").first }
}
