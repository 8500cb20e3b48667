public struct Migration: Sendable { public let version: Int; public let name: String; public let sql: String }
