"""The industry glossary (行业词典) and knowledge base: terms in Chinese and English with definitions,
synonyms, industry, owner and status (proposed, agreed), scoped to the alliance or a governance body,
every change kept as a version; agreed terms explained on hover wherever pages show text
(agreements, articles); a small knowledge base of Markdown articles linked to terms, rendered
sanitised, searchable in both languages.

Pure engines here (model, highlight, markdown); storage, CLI, API and web are adapters around them
(store/glossary_repository.py, operations/glossary/service.py, cli/glossary.py,
api/routers/glossary.py, web/glossary_pages.py).
"""
