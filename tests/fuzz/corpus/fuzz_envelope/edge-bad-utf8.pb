
msa-edge-0001msaÀ¯í € €àà¿Ÿ4R
edge-1(è