"""Matching (资源图谱 / 智能匹配): what members, prospects and outside candidates have and lack, how
well one's resources cover another's needs, the heat map of all pairs, best partners and the best
coalition of partners for a member's gaps.

Pure engines here (taxonomy, model, scoring, heat map, directory search, coalition solver, text
similarity); storage, CLI, API and web are adapters around them (store/matching_repository.py,
matching/service.py, cli/matching.py, api/routers/matching.py, web/matching_pages.py).
"""
