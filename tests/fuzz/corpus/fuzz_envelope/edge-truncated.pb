
msa-edge-0001msa 