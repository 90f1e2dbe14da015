
msa-edge-0001msa €àà¿Ÿ4R
edge-1(è˜