
msa-edge-0001msa €àà¿Ÿ4(€°æ²wR
edge-1(Ğè