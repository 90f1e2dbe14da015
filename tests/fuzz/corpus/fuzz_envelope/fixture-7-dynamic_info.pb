
tobacco-dyn-2026-Q4-zerotobaccoèµµå¼º €â¸Ñ¢4(à‰ËÑ¢42411500j
DYN-TOB-2026-Q42026-Q40