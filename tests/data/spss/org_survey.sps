* PSPP syntax that writes the SPSS test files of surveykit.io (tests/test_io.py).
* Run through make_files.sh: `pspp org_survey.sps` from this folder.
* A small organisation-survey extract: Korean variable and value labels, user-missing
* codes (discrete 9 / 99 and a range 997 THRU 999), system-missing values, a Korean
* string column (with 똠, which EUC-KR cannot encode) and a multiple-dichotomy set.

* 1. UTF-8 dictionary: org_utf8.sav, org_utf8.zsav. -------------------------------.
SET LOCALE='UTF-8'.
DATA LIST LIST /id (F3.0) org_type (F1.0) join_intent (F1.0) fee (F2.0) staff (F3.0)
  fund_rel (F1.0) fund_bank (F1.0) fund_mutual (F1.0) org_name (A30).
BEGIN DATA
1 1 4 1 3 1 0 0 "똠방각하 협동조합"
2 2 3 2 12 0 1 0 "가나다 사회적기업"
3 3 9 9 998 1 1 0 "마을 부엌"
4 1 . 99 . 0 0 1 "서울 돌봄 협동조합"
5 4 1 3 997 1 0 1 ""
6 5 2 . 5 0 0 0 "Social Venture Lab"
7 2 4 2 999 1 0 0 "다솜 자활센터"
8 3 . 1 7 0 1 1 "희망 나눔"
END DATA.
VARIABLE LABELS
  id '조직 ID'
  org_type '조직 유형'
  join_intent '향후 공제 가입 의향'
  fee '적정 회비'
  staff '정규직 근로자 수'
  fund_rel '자금조달: 특수관계인 차입'
  fund_bank '자금조달: 시중은행 차입'
  fund_mutual '자금조달: 제3섹터 공제'
  org_name '조직명'.
VALUE LABELS
  org_type 1 '사회적기업' 2 '협동조합' 3 '마을기업' 4 '자활기업' 5 '소셜벤처/NPO'
  /join_intent 1 '전혀 없다' 2 '별로 없다' 3 '약간 있다' 4 '매우 있다' 9 '모름/무응답'
  /fee 1 '1만원 미만' 2 '1~10만원' 3 '10만원 이상' 9 '모름' 99 '무응답'
  /staff 997 '해당 없음' 998 '모름' 999 '무응답'
  /fund_rel fund_bank fund_mutual 0 '아니오' 1 '예'.
MISSING VALUES join_intent (9) /fee (9, 99) /staff (997 THRU 999).
VARIABLE LEVEL org_type fund_rel fund_bank fund_mutual (NOMINAL)
  /join_intent fee (ORDINAL) /staff (SCALE).
MRSETS /MDGROUP NAME=$funding LABEL='자금조달 방법' VARIABLES=fund_rel fund_bank fund_mutual VALUE=1.
SAVE OUTFILE='org_utf8.sav'.
SAVE OUTFILE='org_utf8.zsav' /ZCOMPRESSED.

* 2. The same data with a legacy Korean (CP949) dictionary: org_cp949.sav. --------------.
* The dictionary encoding is fixed when the dictionary is created, so SET LOCALE comes
* before DATA LIST; PSPP then writes code page 949 and an encoding record 'CP949'.
SET LOCALE='CP949'.
DATA LIST LIST /id (F3.0) join_intent (F1.0) staff (F3.0) org_name (A30).
BEGIN DATA
1 4 3 "똠방각하 협동조합"
2 3 12 "가나다 사회적기업"
3 9 998 "마을 부엌"
4 . . "서울 돌봄 협동조합"
END DATA.
VARIABLE LABELS id '조직 ID' join_intent '향후 공제 가입 의향' staff '정규직 근로자 수'
  org_name '조직명'.
VALUE LABELS join_intent 1 '전혀 없다' 2 '별로 없다' 3 '약간 있다' 4 '매우 있다' 9 '모름/무응답'
  /staff 997 '해당 없음' 998 '모름' 999 '무응답'.
MISSING VALUES join_intent (9) /staff (997 THRU 999).
SAVE OUTFILE='org_cp949.sav'.

* 3. A genuine Western (windows-1252) file with accented labels: org_cp1252.sav. ---------.
* Guards against the mojibake repair firing on honest Latin-1 text.
SET LOCALE='windows-1252'.
DATA LIST LIST /id (F3.0) size (F1.0) city (A12).
BEGIN DATA
1 1 "Zürich"
2 2 "Besançon"
3 9 "Malmö"
END DATA.
VARIABLE LABELS size 'Größe der Organisation (Schätzung)' city 'Siège social'.
VALUE LABELS size 1 'très petite' 2 'mittelgroß' 9 'ne sait pas'.
MISSING VALUES size (9).
SAVE OUTFILE='org_cp1252.sav'.

* 4. A portable file (.por cannot hold Korean, so English labels): org.por. -------------.
SET LOCALE='UTF-8'.
DATA LIST LIST /id (F3.0) join_intent (F1.0) staff (F3.0).
BEGIN DATA
1 4 3
2 3 12
3 9 998
4 . .
END DATA.
VARIABLE LABELS join_intent 'Intention to join mutual aid' staff 'Full-time staff'.
VALUE LABELS join_intent 1 'Not at all' 2 'Not really' 3 'Somewhat' 4 'Very much'
  9 "Don't know/no answer".
MISSING VALUES join_intent (9) /staff (997 THRU 999).
EXPORT OUTFILE='org.por'.
