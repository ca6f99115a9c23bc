/// The OpenAPI 3 document of the API, served at `GET /openapi.json`. A test checks that it
/// lists exactly the routes the server answers and that real answers match its schemas.
enum OpenAPIDocument {
  static let json = #"""
    {
      "openapi": "3.0.3",
      "info": {
        "title": "CompactRec recommendation server",
        "version": "1",
        "description": "Recommendations from CompactRec model files (.crm), in the original user and item ids. Every error has the body {\"error\": {\"code\", \"message\"}}."
      },
      "paths": {
        "/healthz": {"get": {"summary": "The process is up.", "responses": {"200": {"description": "Up.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}}},
        "/readyz": {"get": {"summary": "Every model is loaded and verified.", "responses": {"200": {"description": "Ready.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Ready"}}}}}}},
        "/metrics": {"get": {"summary": "Prometheus metrics: requests by route and status, latency histogram, models loaded, reloads, shed requests, dynamic batch sizes.", "responses": {"200": {"description": "Prometheus text exposition format 0.0.4.", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
        "/openapi.json": {"get": {"summary": "This document.", "responses": {"200": {"description": "OpenAPI 3 document.", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        "/v1/models": {"get": {"summary": "The served models.", "responses": {"200": {"description": "Models.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModelList"}}}}}}},
        "/v1/models/{name}": {"get": {"summary": "One served model.", "parameters": [{"$ref": "#/components/parameters/name"}], "responses": {"200": {"description": "The model.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Model"}}}}, "404": {"$ref": "#/components/responses/Error"}}}},
        "/v1/models/{name}/recommend": {"post": {
          "summary": "The best items for a known user or for a history of items.",
          "parameters": [{"$ref": "#/components/parameters/name"}],
          "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RecommendRequest"}}}},
          "responses": {
            "200": {"description": "Items, best first.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Recommendation"}}}},
            "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
            "413": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"},
            "503": {"$ref": "#/components/responses/Error"}}}},
        "/v1/models/{name}/recommend:batch": {"post": {
          "summary": "Up to 1000 recommendation requests; one answer or error each, in order.",
          "parameters": [{"$ref": "#/components/parameters/name"}],
          "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchRequest"}}}},
          "responses": {
            "200": {"description": "One result per request.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchResponse"}}}},
            "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
            "413": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"},
            "503": {"$ref": "#/components/responses/Error"}}}},
        "/v1/models/{name}/similar": {"get": {
          "summary": "The items nearest to an item by the model's own item vectors or codes (graph models: inner product; sequential models: cosine of input embeddings).",
          "parameters": [{"$ref": "#/components/parameters/name"},
            {"name": "item", "in": "query", "required": true, "schema": {"type": "string"}},
            {"name": "k", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 20}}],
          "responses": {
            "200": {"description": "Items, nearest first.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Similar"}}}},
            "404": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"},
            "503": {"$ref": "#/components/responses/Error"}}}},
        "/v1/admin/reload": {"post": {
          "summary": "Reloads every model (or ?model=NAME) from its file. A refused file leaves the old model serving.",
          "security": [{"bearer": []}],
          "parameters": [{"name": "model", "in": "query", "required": false, "schema": {"type": "string"}}],
          "responses": {
            "200": {"description": "Every file is in service.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Reloads"}}}},
            "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"},
            "404": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"}}}}
      },
      "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "parameters": {"name": {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}},
        "responses": {"Error": {"description": "An error.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
        "schemas": {
          "Error": {"type": "object", "required": ["error"], "properties": {
            "error": {"type": "object", "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
            "reloads": {"type": "array", "items": {"$ref": "#/components/schemas/Reload"}}}},
          "Health": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
          "Ready": {"type": "object", "required": ["status", "models"], "properties": {"status": {"type": "string"}, "models": {"type": "array", "items": {"type": "object", "required": ["name", "checksum"], "properties": {"name": {"type": "string"}, "checksum": {"type": "string"}}}}}},
          "Model": {"type": "object", "required": ["name", "kind", "users", "items", "bytes", "checksum", "load_seconds", "loaded_at", "histories", "similar"], "properties": {
            "name": {"type": "string"}, "kind": {"type": "string"}, "users": {"type": "integer"}, "items": {"type": "integer"},
            "bytes": {"type": "integer", "description": "Size of the model file."}, "checksum": {"type": "string", "description": "CRC-32 of the file, 8 hex digits."},
            "load_seconds": {"type": "number"}, "loaded_at": {"type": "string", "format": "date-time"},
            "histories": {"type": "boolean", "description": "Whether the file keeps the users' histories (else requests bring their own)."},
            "similar": {"type": "boolean", "description": "Whether /similar works for this model."}}},
          "ModelList": {"type": "object", "required": ["models"], "properties": {"models": {"type": "array", "items": {"$ref": "#/components/schemas/Model"}}}},
          "RecommendRequest": {"type": "object", "properties": {
            "user": {"type": "string", "description": "A known user id."},
            "history": {"type": "array", "items": {"type": "string"}, "description": "Item ids, oldest first. A graph or MF model folds them into a user vector (the mean of their item vectors)."},
            "k": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 20},
            "allow": {"type": "array", "items": {"type": "string"}, "description": "Only these items."},
            "deny": {"type": "array", "items": {"type": "string"}, "description": "Never these items."},
            "include_scores": {"type": "boolean", "default": true},
            "fallback": {"type": "string", "enum": ["popular"], "description": "Answer an unknown user with popular items instead of 404."}}},
          "Item": {"type": "object", "required": ["item"], "properties": {"item": {"type": "string"}, "score": {"type": "number"}}},
          "Recommendation": {"type": "object", "required": ["model", "items"], "properties": {
            "model": {"type": "string"}, "user": {"type": "string"},
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
            "fallback": {"type": "string"},
            "ignored_items": {"type": "array", "items": {"type": "string"}, "description": "Ids of the request that the model does not know."},
            "took_ms": {"type": "number"}}},
          "BatchRequest": {"type": "object", "required": ["requests"], "properties": {"requests": {"type": "array", "maxItems": 1000, "items": {"$ref": "#/components/schemas/RecommendRequest"}}}},
          "BatchResponse": {"type": "object", "required": ["results", "took_ms"], "properties": {
            "results": {"type": "array", "items": {"oneOf": [{"$ref": "#/components/schemas/Recommendation"}, {"$ref": "#/components/schemas/BatchError"}]}},
            "took_ms": {"type": "number"}}},
          "BatchError": {"type": "object", "required": ["status", "error"], "properties": {
            "status": {"type": "integer"},
            "error": {"type": "object", "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
          "Similar": {"type": "object", "required": ["model", "item", "items", "took_ms"], "properties": {
            "model": {"type": "string"}, "item": {"type": "string"},
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}, "took_ms": {"type": "number"}}},
          "Reload": {"type": "object", "required": ["model", "result", "checksum"], "properties": {
            "model": {"type": "string"}, "result": {"type": "string", "enum": ["reloaded", "unchanged", "failed"]},
            "checksum": {"type": "string"}, "error": {"type": "string"}}},
          "Reloads": {"type": "object", "required": ["reloads"], "properties": {"reloads": {"type": "array", "items": {"$ref": "#/components/schemas/Reload"}}}}
        }
      }
    }
    """#
}
