
SET LOCALE='CP949'.
DATA LIST LIST /HHID Q1a fund_a fund_b fund_c age region 소득 (F8.0).
BEGIN DATA
1 1 1 0 1 34 1 200
2 2 0 1 0 45 2 310
3 9 1 1 0 29 1 150
4 1 0 0 1 61 3 999
5 2 1 0 0 52 2 275
6 1 0 1 1 40 1 180
END DATA.
VARIABLE LABELS HHID '가구 번호' Q1a '만족도' fund_a '재원: 정부' fund_b '재원: 기부' fund_c '재원: 회비' age '나이' 소득 '월 소득' region '지역'.
VALUE LABELS Q1a 1 '만족' 2 '불만족' 9 '모름' /fund_a fund_b fund_c 0 '아니오' 1 '예' /region 1 '도시' 2 '농촌' 3 '섬'.
MISSING VALUES Q1a (9) /소득 (990 THRU 999).
VARIABLE LEVEL HHID age 소득 (SCALE) Q1a region fund_a fund_b fund_c (NOMINAL).
MRSETS /MDGROUP NAME=$fund LABEL='재원' VARIABLES=fund_a fund_b fund_c VALUE=1.
SAVE OUTFILE='mr_cp949.sav'.
