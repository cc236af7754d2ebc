#!/usr/bin/env python3
"""Build the independent hold-out set for math answer checkers.

Writes zeroplay/verifiers/data/math_holdout.jsonl (relative to the repo root).
Each line: {"id", "answer", "gold", "label", "category", "source_style", "note"}.

Self-contained: every problem is written out below with its reference answer in
the form the source dataset stores it, a worked chain of thought, equivalent
surface forms (label true) and near-miss / adversarial finals (label false).
All values were recomputed by hand and with Python/sympy when the set was built.
Labels reflect what a careful human grader would accept for the FINAL answer.
"""
import collections
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "zeroplay", "verifiers", "data",
                                    "math_holdout.jsonl"))

PROBS = []


def P(style, q, gold, steps, trues, wrongs, inter=None, given=None, last=None,
      slip=None, text=False, setlike=False):
    """trues: [(form, category)] first = canonical; wrongs: [(form, category, note)];
    inter: (value, k) -> value is computed in steps[:k] and is NOT the final answer;
    given: a number stated in the question that is not the answer;
    last: natural last sentence with @ for the answer;
    slip: (wrong_steps, wrong_final) a chain of thought with a genuine mistake."""
    PROBS.append(dict(style=style, q=q, gold=gold, steps=steps, trues=trues, wrongs=wrongs,
                      inter=inter, given=given, last=last, slip=slip, text=text,
                      setlike=setlike))


# ---------------------------------------------------------------- GSM8K
P("GSM8K", "A bakery sells muffins for $3 each. On Monday it sold 48 muffins and on Tuesday it sold 25% more muffins than on Monday. How much money did the bakery make from muffins over the two days?",
  "324",
  [r"On Monday the bakery sold 48 muffins. On Tuesday it sold 25% more, so Tuesday's sales were $48 \times 1.25 = 60$ muffins.",
   r"Over the two days that is $48 + 60 = 108$ muffins in total.",
   r"Each muffin costs \$3, so the revenue is $108 \times 3 = 324$ dollars."],
  [("324", "exact"), (r"\$324", "money_format"), (r"\$324.00", "money_format")],
  [("108", "wrong_quantity", "number of muffins, not dollars"), ("288", "arith_slip", "used 48 muffins on both days")],
  inter=("108", 2), given="48", last=r"So the bakery made $@ from muffins over the two days.",
  slip=([r"Monday: 48 muffins. Tuesday: 25% more means 25 more muffins, so $48 + 25 = 73$ muffins.",
         r"Total muffins: $48 + 73 = 121$.",
         r"Money: $121 \times 3 = 363$ dollars."], "363"))

P("GSM8K", "Tom reads 12 pages on each weekday and 20 pages on each weekend day. How many pages does he read in 3 weeks?",
  "300",
  [r"A week has 5 weekdays and 2 weekend days.",
   r"On weekdays Tom reads $5 \times 12 = 60$ pages, and on the weekend he reads $2 \times 20 = 40$ pages. So in one week he reads $60 + 40 = 100$ pages.",
   r"In 3 weeks he reads $3 \times 100 = 300$ pages."],
  [("300", "exact"), (r"300 \text{ pages}", "units_text")],
  [("296", "arith_slip", "off by a few pages"), ("100", "intermediate_final", "pages in one week")],
  inter=("100", 2), given="12", last="Tom reads @ pages in 3 weeks.")

P("GSM8K", "Maria has 3 times as many stickers as Leo. Together they have 96 stickers. Maria then gives Leo 12 stickers. How many stickers does Maria have now?",
  "60",
  [r"Let Leo have $L$ stickers. Then Maria has $3L$, and $L + 3L = 4L = 96$, so $L = 24$.",
   r"Maria starts with $3 \times 24 = 72$ stickers.",
   r"After giving 12 to Leo she has $72 - 12 = 60$ stickers left."],
  [("60", "exact"), (r"60 \text{ stickers}", "units_text")],
  [("36", "wrong_quantity", "Leo's count after the gift"), ("84", "sign_error", "added the 12 instead of subtracting")],
  inter=("72", 2), given="96", last="So Maria now has @ stickers.",
  slip=([r"Maria has 3 times as many as Leo, so Maria has $\frac{3}{4}$ of 96... wait, no, let me just say Maria has $96 \div 3 = 32$ stickers.",
         r"Leo has $96 - 32 = 64$.",
         r"Maria gives away 12, leaving $32 - 12 = 20$."], "20"))

P("GSM8K", "A car uses 8 liters of fuel per 100 km. Fuel costs $1.50 per liter. How much does the fuel for a 450 km trip cost, in dollars?",
  "54",
  [r"The car uses 8 liters for every 100 km, so for 450 km it uses $\frac{450}{100} \times 8 = 4.5 \times 8 = 36$ liters.",
   r"At \$1.50 per liter, the fuel costs $36 \times 1.50 = 54$ dollars."],
  [("54", "exact"), (r"\$54", "money_format"), ("54.00", "decimal_equiv")],
  [("36", "wrong_quantity", "liters, not dollars"), ("5.4", "unit_conversion", "off by a factor of ten")],
  inter=("36", 1), given="450", last=r"The fuel for the trip costs $@.")

P("GSM8K", "A school has 840 students. 5/12 of them are boys. 40% of the girls sing in the choir. How many girls sing in the choir?",
  "196",
  [r"Number of boys: $\frac{5}{12} \times 840 = 350$.",
   r"Number of girls: $840 - 350 = 490$.",
   r"Girls in the choir: $0.40 \times 490 = 196$."],
  [("196", "exact"), (r"196 \text{ girls}", "units_text")],
  [("140", "wrong_quantity", "40% of the boys"), ("336", "arith_slip", "40% of all students")],
  inter=("490", 2), given="840", last="So @ girls sing in the choir.")

P("GSM8K", "Sam earns $15 per hour and works 6 hours a day, 5 days a week. He saves 1/3 of what he earns. How many weeks will it take him to save $900?",
  "6",
  [r"Per day Sam earns $15 \times 6 = 90$ dollars, so per week he earns $90 \times 5 = 450$ dollars.",
   r"He saves one third of that: $450 / 3 = 150$ dollars per week.",
   r"To save \$900 he needs $900 / 150 = 6$ weeks."],
  [("6", "exact"), (r"6 \text{ weeks}", "units_text")],
  [("2", "intermediate_final", "ignored the 1/3 savings rate"), ("5", "off_by_one", "near miss")],
  inter=("150", 2), given="15", last="It will take Sam @ weeks to save $900.")

P("GSM8K", "A rectangular garden is 18 m by 12 m. A path 1 m wide runs around the outside of the garden. What is the area of the path in square meters?",
  "64",
  [r"With the path, the outer rectangle measures $(18 + 2) \times (12 + 2) = 20 \times 14 = 280$ square meters.",
   r"The garden itself is $18 \times 12 = 216$ square meters.",
   r"The path is the difference: $280 - 216 = 64$ square meters."],
  [("64", "exact"), (r"64\text{ m}^2", "units_text")],
  [("60", "arith_slip", "forgot the four corner squares"), ("280", "intermediate_final", "outer area")],
  inter=("280", 1), given="18", last=r"The path covers @ square meters.",
  slip=([r"The path runs along all four sides.",
         r"Two long sides: $2 \times 18 \times 1 = 36$. Two short sides: $2 \times 12 \times 1 = 24$.",
         r"Total path area: $36 + 24 = 60$ square meters."], "60"))

P("GSM8K", "Lily bought 4 notebooks at $2.75 each and 2 pens at $1.50 each. She paid with a $20 bill. How much change did she get?",
  "6",
  [r"Notebooks: $4 \times 2.75 = 11$ dollars.",
   r"Pens: $2 \times 1.50 = 3$ dollars.",
   r"Total spent: $11 + 3 = 14$ dollars, so her change is $20 - 14 = 6$ dollars."],
  [("6", "exact"), (r"\$6.00", "money_format"), ("6 dollars", "units_text")],
  [("14", "wrong_quantity", "amount spent, not change"), ("7", "arith_slip", "near miss")],
  inter=("14", 3), given="20", last="Lily got $@ in change.")

P("GSM8K", "A farmer has 144 chickens. Each chicken lays 5 eggs per week. He sells the eggs by the dozen at $3 per dozen. How much money does he earn from eggs each week?",
  "180",
  [r"Eggs per week: $144 \times 5 = 720$.",
   r"Dozens: $720 / 12 = 60$ dozen.",
   r"Money: $60 \times 3 = 180$ dollars per week."],
  [("180", "exact"), (r"\$180", "money_format")],
  [("2160", "arith_slip", "charged $3 per egg"), ("60", "intermediate_final", "number of dozens")],
  inter=("60", 2), given="144", last="The farmer earns $@ from eggs each week.")

P("GSM8K", "Jake is 4 years older than twice his sister's age. In 3 years, the sum of their ages will be 40. How old is Jake now?",
  "24",
  [r"Let the sister's age be $s$. Then Jake's age is $2s + 4$.",
   r"In 3 years their ages will be $s + 3$ and $2s + 7$. Their sum is $3s + 10 = 40$, so $3s = 30$ and $s = 10$.",
   r"Jake is $2 \cdot 10 + 4 = 24$ years old."],
  [("24", "exact"), (r"24 \text{ years old}", "units_text")],
  [("27", "wrong_quantity", "Jake's age in 3 years"), ("10", "wrong_quantity", "sister's age")],
  inter=("10", 2), given="40", last="Jake is @ years old now.")

P("GSM8K", "A water tank holds 1,200 liters and is 3/4 full. A pump removes 45 liters per minute. How many minutes will it take to empty the tank?",
  "20",
  [r"The tank currently holds $\frac{3}{4} \times 1200 = 900$ liters.",
   r"At 45 liters per minute, emptying it takes $900 / 45 = 20$ minutes."],
  [("20", "exact"), (r"20 \text{ minutes}", "units_text")],
  [("26.7", "arith_slip", "used the full 1200 L"), ("900", "intermediate_final", "liters in the tank")],
  inter=("900", 1), given="45", last="It will take @ minutes to empty the tank.")

P("GSM8K", "A store marks up an $80 jacket by 25% and then offers 20% off the new price. What is the final price of the jacket in dollars?",
  "80",
  [r"After the 25% markup, the price is $80 \times 1.25 = 100$ dollars.",
   r"Taking 20% off: $100 \times 0.80 = 80$ dollars.",
   r"Interesting - the final price is back to the original."],
  [("80", "exact"), (r"\$80", "money_format")],
  [("84", "arith_slip", "netted 25%-20% as +5%"), ("100", "intermediate_final", "price after markup")],
  inter=("100", 1), last="The final price of the jacket is $@.")

P("GSM8K", "Emma walks 3 km in 45 minutes. At the same speed, how many hours will it take her to walk 12 km?",
  "3",
  [r"Emma's speed: 3 km in 45 minutes is 3 km in 0.75 hours, so $3 / 0.75 = 4$ km per hour.",
   r"For 12 km: $12 / 4 = 3$ hours."],
  [("3", "exact"), (r"3 \text{ hours}", "units_text")],
  [("180", "unit_conversion", "minutes instead of hours"), ("4", "intermediate_final", "her speed in km/h")],
  inter=("4", 1), given="45", last="It will take her @ hours.")

P("GSM8K", "A class of 30 students has an average score of 72. The teacher adds 5 points to the scores of 12 students. What is the new class average?",
  "74",
  [r"Total of all scores: $30 \times 72 = 2160$.",
   r"The teacher adds $12 \times 5 = 60$ points, giving $2160 + 60 = 2220$.",
   r"New average: $2220 / 30 = 74$."],
  [("74", "exact"), ("74.0", "decimal_equiv")],
  [("77", "arith_slip", "added 5 to every student"), ("2220", "intermediate_final", "new total")],
  inter=("2220", 2), given="72", last="The new class average is @.")

P("GSM8K", "Ben has 5 boxes with 24 crayons in each. He gives away 1/4 of the crayons and then 7 of the remaining crayons break. How many unbroken crayons does he have?",
  "83",
  [r"Ben starts with $5 \times 24 = 120$ crayons.",
   r"He gives away $\frac{1}{4} \times 120 = 30$, leaving $120 - 30 = 90$.",
   r"Then 7 break, so $90 - 7 = 83$ unbroken crayons remain."],
  [("83", "exact"), (r"83 \text{ crayons}", "units_text")],
  [("97", "sign_error", "added the broken crayons"), ("90", "intermediate_final", "before the 7 broke")],
  inter=("90", 2), given="24", last="Ben has @ unbroken crayons.")

P("GSM8K", "A cyclist rides at 15 miles per hour for 2 hours and then at 10 miles per hour for 1.5 hours. How many miles does she ride in total?",
  "45",
  [r"First part: $15 \times 2 = 30$ miles.",
   r"Second part: $10 \times 1.5 = 15$ miles.",
   r"Total: $30 + 15 = 45$ miles."],
  [("45", "exact"), (r"45 \text{ miles}", "units_text")],
  [("43.75", "arith_slip", "averaged the speeds"), ("30", "intermediate_final", "first leg only")],
  inter=("30", 1), given="15", last="She rides @ miles in total.")

P("GSM8K", "A recipe needs 2 1/4 cups of flour to make 18 cookies. How many cups of flour are needed to make 72 cookies?",
  "9",
  [r"72 cookies is $72 / 18 = 4$ batches of the recipe.",
   r"Each batch needs $2\frac{1}{4} = 2.25$ cups, so we need $4 \times 2.25 = 9$ cups."],
  [("9", "exact"), (r"9 \text{ cups}", "units_text"), ("9.0", "decimal_equiv")],
  [("8", "arith_slip", "near miss"), ("4", "intermediate_final", "number of batches")],
  inter=("4", 1), given="18", last="You need @ cups of flour.")

P("GSM8K", "A phone plan costs $25 per month plus $0.10 for each text beyond the first 200 texts. In March, Kim sent 340 texts. What was her bill for March?",
  "39",
  [r"Texts beyond 200: $340 - 200 = 140$.",
   r"Extra charge: $140 \times 0.10 = 14$ dollars.",
   r"Total bill: $25 + 14 = 39$ dollars."],
  [("39", "exact"), (r"\$39", "money_format"), (r"\$39.00", "money_format")],
  [("59", "arith_slip", "charged every text"), ("14", "intermediate_final", "extra charge only")],
  inter=("14", 2), given="25", last="Kim's bill for March was $@.")

P("GSM8K", "Three friends split a $90 restaurant bill plus a 20% tip equally. How much does each friend pay?",
  "36",
  [r"The tip is $0.20 \times 90 = 18$ dollars, so the total is $90 + 18 = 108$ dollars.",
   r"Split three ways: $108 / 3 = 36$ dollars each."],
  [("36", "exact"), (r"\$36.00", "money_format")],
  [("30", "arith_slip", "forgot the tip"), ("108", "intermediate_final", "total, not per person")],
  inter=("108", 1), given="90", last="Each friend pays $@.")

P("GSM8K", "Adult tickets cost $12 and child tickets cost $7. A group of 11 people paid $107 in total. How many adults were in the group?",
  "6",
  [r"Let $a$ be the number of adults, so there are $11 - a$ children.",
   r"Then $12a + 7(11 - a) = 107$, i.e. $12a + 77 - 7a = 107$, so $5a = 30$.",
   r"Therefore $a = 6$ adults (and 5 children). Check: $6 \cdot 12 + 5 \cdot 7 = 72 + 35 = 107$."],
  [("6", "exact"), (r"6 \text{ adults}", "units_text")],
  [("5", "wrong_quantity", "number of children"), ("30", "intermediate_final", "value of 5a")],
  inter=("30", 2), given="11", last="There were @ adults in the group.")

P("GSM8K", "A printer prints 18 pages per minute. How many seconds does it take to print 45 pages?",
  "150",
  [r"Time in minutes: $45 / 18 = 2.5$ minutes.",
   r"Converting to seconds: $2.5 \times 60 = 150$ seconds."],
  [("150", "exact"), (r"150 \text{ seconds}", "units_text")],
  [("2.5", "unit_conversion", "minutes instead of seconds"), ("810", "arith_slip", "multiplied 45 by 18")],
  inter=("2.5", 1), given="18", last="It takes @ seconds to print 45 pages.")

P("GSM8K", "Nina saves $4 in the first week, and each week after that she saves $3 more than the week before. How much has she saved in total after 8 weeks?",
  "116",
  [r"Her weekly savings form an arithmetic sequence: 4, 7, 10, 13, 16, 19, 22, 25.",
   r"In week 8 she saves $4 + 7 \times 3 = 25$ dollars.",
   r"Total: $\frac{8(4 + 25)}{2} = 4 \times 29 = 116$ dollars."],
  [("116", "exact"), (r"\$116", "money_format")],
  [("91", "off_by_one", "summed only 7 weeks"), ("25", "intermediate_final", "week-8 amount")],
  inter=("25", 2), last="After 8 weeks Nina has saved $@.")

P("GSM8K", "A library had 2,400 books. It donated 15% of them and then bought 420 new books. How many books does the library have now?",
  "2460",
  [r"Books donated: $0.15 \times 2400 = 360$.",
   r"Remaining: $2400 - 360 = 2040$.",
   r"After buying 420 more: $2040 + 420 = 2460$ books."],
  [("2460", "exact"), ("2,460", "thousands_sep"), ("2{,}460", "thousands_sep")],
  [("2040", "intermediate_final", "before the purchase"), ("2820", "sign_error", "added the 15% instead of removing it")],
  inter=("2040", 2), given="420", last="The library now has @ books.")

P("GSM8K", "A train leaves at 9:40 AM and arrives at 1:15 PM on the same day. How many minutes long is the trip?",
  "215",
  [r"From 9:40 AM to 12:40 PM is 3 hours = 180 minutes.",
   r"From 12:40 PM to 1:15 PM is 35 more minutes.",
   r"Total: $180 + 35 = 215$ minutes."],
  [("215", "exact"), (r"215 \text{ minutes}", "units_text")],
  [("195", "arith_slip", "near miss"), ("335", "arith_slip", "subtracted clock readings directly")],
  inter=("180", 1), last="The trip takes @ minutes.")

P("GSM8K", "Oliver buys a laptop for $1,200. He pays 20% as a down payment and pays the rest in 12 equal monthly payments. How much is each monthly payment?",
  "80",
  [r"Down payment: $0.20 \times 1200 = 240$ dollars.",
   r"Remaining balance: $1200 - 240 = 960$ dollars.",
   r"Monthly payment: $960 / 12 = 80$ dollars."],
  [("80", "exact"), (r"\$80", "money_format")],
  [("100", "arith_slip", "ignored the down payment"), ("960", "intermediate_final", "remaining balance")],
  inter=("960", 2), given="12", last="Each monthly payment is $@.")

P("GSM8K", "Pipe A can fill a pool in 6 hours and pipe B can fill it in 3 hours. How many hours does it take to fill the pool if both pipes are open?",
  "2",
  [r"Pipe A fills $\frac{1}{6}$ of the pool per hour and pipe B fills $\frac{1}{3}$ per hour.",
   r"Together: $\frac{1}{6} + \frac{1}{3} = \frac{1}{6} + \frac{2}{6} = \frac{1}{2}$ of the pool per hour.",
   r"So the pool fills in $1 \div \frac{1}{2} = 2$ hours."],
  [("2", "exact"), (r"2 \text{ hours}", "units_text")],
  [("4.5", "arith_slip", "averaged the two times"), ("9", "arith_slip", "added the times")],
  given="6", last="Both pipes together fill the pool in @ hours.")

P("GSM8K", "Mia has 45 marbles. 2/5 of them are red, 1/3 of the rest are blue, and the remaining marbles are green. How many green marbles does Mia have?",
  "18",
  [r"Red marbles: $\frac{2}{5} \times 45 = 18$.",
   r"The rest: $45 - 18 = 27$ marbles.",
   r"Blue: $\frac{1}{3} \times 27 = 9$, so green: $27 - 9 = 18$."],
  [("18", "exact"), (r"18 \text{ green marbles}", "units_text")],
  [("9", "wrong_quantity", "blue marbles"), ("12", "arith_slip", "took 1/3 of 45 for blue")],
  inter=("27", 2), given="45", last="Mia has @ green marbles.")

P("GSM8K", "A worker packs 36 boxes per hour. She works for 7.5 hours, and 10% of the boxes she packs are found defective and removed. How many good boxes does she pack?",
  "243",
  [r"Total boxes: $36 \times 7.5 = 270$.",
   r"Defective: $10\%$ of 270 is 27.",
   r"Good boxes: $270 - 27 = 243$."],
  [("243", "exact"), (r"243 \text{ boxes}", "units_text")],
  [("297", "sign_error", "added the defective boxes"), ("270", "intermediate_final", "before removing defects")],
  inter=("270", 1), given="36", last="She packs @ good boxes.")

# ---------------------------------------------------------------- SVAMP / ASDiv
P("SVAMP", "Jack had 8 pens and Mary had 5 pens. Jack gave 3 pens to Mary. How many more pens does Mary have than Jack now?",
  "3",
  [r"After the gift Jack has $8 - 3 = 5$ pens.",
   r"Mary has $5 + 3 = 8$ pens.",
   r"Mary has $8 - 5 = 3$ more pens than Jack."],
  [("3", "exact"), ("3.0", "decimal_equiv")],
  [("5", "wrong_quantity", "Jack's pens"), ("-3", "sign_error", "difference taken the wrong way")],
  given="8", last="Mary has @ more pens than Jack.")

P("SVAMP", "There are 87 oranges and 290 bananas in Philip's collection. If the bananas are organized into 2 groups and oranges are organized into 93 groups, how big is each group of bananas?",
  "145",
  [r"Only the bananas matter for this question; the oranges are extra information.",
   r"290 bananas split into 2 equal groups gives $290 / 2 = 145$ bananas per group."],
  [("145", "exact"), (r"145 \text{ bananas}", "units_text")],
  [("290", "restate_given", "total bananas from the question"), ("580", "arith_slip", "multiplied instead of dividing")],
  given="87", last="Each group of bananas has @ bananas.")

P("ASDiv", "A pet store had 56 puppies. In one day they sold 24 of them and put the rest into cages with 4 in each cage. How many cages did they use?",
  "8 (cages)",
  [r"Puppies left after the sale: $56 - 24 = 32$.",
   r"With 4 puppies per cage: $32 / 4 = 8$ cages."],
  [("8", "unit_in_gold"), (r"8 \text{ cages}", "units_text")],
  [("32", "intermediate_final", "puppies left"), ("14", "arith_slip", "used all 56 puppies")],
  inter=("32", 1), given="24", last="They used @ cages.")

P("ASDiv", "Paige had 11 songs on her mp3 player. She deleted 9 old songs and then added 8 new songs. How many songs are on her mp3 player now?",
  "10 (songs)",
  [r"After deleting: $11 - 9 = 2$ songs.",
   r"After adding: $2 + 8 = 10$ songs."],
  [("10", "unit_in_gold"), ("10 songs", "units_text")],
  [("28", "sign_error", "added the deleted songs"), ("2", "intermediate_final", "before adding")],
  inter=("2", 1), given="11", last="She now has @ songs.")

P("SVAMP", "Edward spent $6 on a book and $16 on some pens. Now he has $19. How much money did Edward have before he spent his money?",
  "41",
  [r"Edward spent $6 + 16 = 22$ dollars in total.",
   r"He had $22 + 19 = 41$ dollars before spending."],
  [("41", "exact"), (r"\$41", "money_format")],
  [("-3", "sign_error", "subtracted the wrong way"), ("22", "intermediate_final", "amount spent")],
  inter=("22", 1), given="19", last="Edward had $@ before spending.")

P("ASDiv", "Each bag has 7 cookies. How many cookies are in 9 bags?",
  "63 (cookies)",
  [r"Each bag has 7 cookies and there are 9 bags.",
   r"So there are $7 \times 9 = 63$ cookies."],
  [("63", "unit_in_gold"), ("63 cookies", "units_text")],
  [("56", "arith_slip", "7 x 8"), ("16", "arith_slip", "added instead of multiplying")],
  given="9", last="There are @ cookies in 9 bags.")

# ---------------------------------------------------------------- MATH
P("MATH", r"What is the value of $\sqrt{36 \times \sqrt{16}}$?",
  "12",
  [r"First, $\sqrt{16} = 4$.",
   r"Then $36 \times 4 = 144$.",
   r"Finally $\sqrt{144} = 12$."],
  [("12", "exact")],
  [("24", "arith_slip", "sqrt(36)*4"), ("144", "intermediate_final", "forgot the outer root")],
  inter=("144", 2), given="36")

P("MATH", r"Find all solutions to $x^2 - 5x + 6 = 0$. Enter all the solutions, separated by commas.",
  "2, 3",
  [r"We factor the quadratic: $x^2 - 5x + 6 = (x - 2)(x - 3)$.",
   r"Setting each factor to zero gives $x - 2 = 0$ or $x - 3 = 0$.",
   r"So $x = 2$ or $x = 3$. Check: $4 - 10 + 6 = 0$ and $9 - 15 + 6 = 0$."],
  [("2, 3", "exact"), ("3, 2", "solution_set_order"), (r"x = 2 \text{ or } x = 3", "solution_set_order")],
  [("3", "missing_solution", "dropped x=2"), ("-2, -3", "sign_error", "roots with wrong sign")],
  setlike=True)

P("MATH", r"Find the domain of the function $f(x) = \sqrt{2 - x}$. Express your answer in interval notation.",
  r"(-\infty, 2]",
  [r"The expression under the square root must be nonnegative: $2 - x \ge 0$.",
   r"This gives $x \le 2$.",
   r"In interval notation, all real numbers up to and including 2 is $(-\infty, 2]$."],
  [(r"(-\infty, 2]", "exact"), (r"\left(-\infty, 2\right]", "interval_notation"), (r"x \in (-\infty,2]", "interval_notation")],
  [(r"(-\infty, 2)", "interval_endpoint", "excluded the endpoint 2"), (r"[2, \infty)", "interval_direction", "wrong side"), ("2", "value_not_interval", "a value, not an interval")],
  setlike=True)

P("MATH", r"Simplify $\frac{\sqrt{6}}{\sqrt{8}}$.",
  r"\frac{\sqrt{3}}{2}",
  [r"Combine under one root: $\frac{\sqrt{6}}{\sqrt{8}} = \sqrt{\frac{6}{8}} = \sqrt{\frac{3}{4}}$.",
   r"Then $\sqrt{\frac{3}{4}} = \frac{\sqrt{3}}{\sqrt{4}} = \frac{\sqrt{3}}{2}$."],
  [(r"\frac{\sqrt{3}}{2}", "exact"), (r"\dfrac{\sqrt3}{2}", "latex_frac_equiv"), (r"\frac{1}{2}\sqrt{3}", "radical_form"), (r"\sqrt{3}/2", "latex_frac_equiv")],
  [(r"\frac{\sqrt{3}}{4}", "wrong_value", "halved again"), ("0.87", "approx_not_exact", "decimal approximation of an exact value")],
  )

P("MATH", r"Compute $\cos 150^\circ$.",
  r"-\frac{\sqrt{3}}{2}",
  [r"$150^\circ$ is in the second quadrant, where cosine is negative.",
   r"Its reference angle is $180^\circ - 150^\circ = 30^\circ$, and $\cos 30^\circ = \frac{\sqrt{3}}{2}$.",
   r"Therefore $\cos 150^\circ = -\cos 30^\circ = -\frac{\sqrt{3}}{2}$."],
  [(r"-\frac{\sqrt{3}}{2}", "exact"), (r"-\frac{\sqrt 3}{2}", "latex_frac_equiv"), (r"-\frac{1}{2}\sqrt{3}", "radical_form")],
  [(r"\frac{\sqrt{3}}{2}", "sign_error", "dropped the minus sign"), (r"-\frac{1}{2}", "wrong_value", "sin/cos mix-up")],
  inter=(r"\frac{\sqrt{3}}{2}", 2),
  slip=([r"The reference angle for $150^\circ$ is $30^\circ$.",
         r"$\cos 30^\circ = \frac{\sqrt{3}}{2}$, and since $150^\circ$ is less than $180^\circ$ the cosine stays positive.",
         r"So $\cos 150^\circ = \frac{\sqrt{3}}{2}$."], r"\frac{\sqrt{3}}{2}"))

P("MATH", r"Let $\mathbf{v} = \begin{pmatrix} 2 \\ -1 \end{pmatrix}$ and $\mathbf{w} = \begin{pmatrix} 3 \\ 4 \end{pmatrix}$. Compute $3\mathbf{v} - \mathbf{w}$.",
  r"\begin{pmatrix} 3 \\ -7 \end{pmatrix}",
  [r"First, $3\mathbf{v} = \begin{pmatrix} 6 \\ -3 \end{pmatrix}$.",
   r"Subtracting $\mathbf{w}$ componentwise: $6 - 3 = 3$ and $-3 - 4 = -7$."],
  [(r"\begin{pmatrix} 3 \\ -7 \end{pmatrix}", "exact"), (r"\begin{pmatrix}3\\-7\end{pmatrix}", "matrix_vector"), (r"\begin{bmatrix} 3 \\ -7 \end{bmatrix}", "matrix_vector")],
  [(r"\begin{pmatrix} 3 \\ 7 \end{pmatrix}", "sign_error", "second component sign"), (r"\begin{pmatrix} -3 \\ 7 \end{pmatrix}", "sign_error", "computed w - 3v")],
  inter=(r"\begin{pmatrix} 6 \\ -3 \end{pmatrix}", 1), setlike=True)

P("MATH", r"Compute $\det \begin{pmatrix} 2 & 3 \\ 1 & 4 \end{pmatrix}$.",
  "5",
  [r"For a $2 \times 2$ matrix $\begin{pmatrix} a & b \\ c & d \end{pmatrix}$, the determinant is $ad - bc$.",
   r"Here $ad = 2 \cdot 4 = 8$ and $bc = 3 \cdot 1 = 3$.",
   r"So the determinant is $8 - 3 = 5$."],
  [("5", "exact")],
  [("11", "sign_error", "ad + bc"), ("-5", "sign_error", "bc - ad")],
  inter=("8", 2))

P("MATH", r"Compute $\begin{pmatrix} 1 & 2 \\ 0 & 1 \end{pmatrix} \begin{pmatrix} 3 & 0 \\ 1 & 2 \end{pmatrix}$.",
  r"\begin{pmatrix} 5 & 4 \\ 1 & 2 \end{pmatrix}",
  [r"Row 1 times the columns: $1\cdot 3 + 2 \cdot 1 = 5$ and $1 \cdot 0 + 2 \cdot 2 = 4$.",
   r"Row 2 times the columns: $0 \cdot 3 + 1 \cdot 1 = 1$ and $0 \cdot 0 + 1 \cdot 2 = 2$."],
  [(r"\begin{pmatrix} 5 & 4 \\ 1 & 2 \end{pmatrix}", "exact"), (r"\begin{pmatrix}5&4\\1&2\end{pmatrix}", "matrix_vector"), (r"\begin{bmatrix} 5 & 4 \\ 1 & 2 \end{bmatrix}", "matrix_vector")],
  [(r"\begin{pmatrix} 3 & 6 \\ 1 & 4 \end{pmatrix}", "wrong_order_product", "computed BA instead of AB"), (r"\begin{pmatrix} 5 & 1 \\ 4 & 2 \end{pmatrix}", "transpose", "transposed result")],
  setlike=True)

P("MATH", r"Find the center of the circle with equation $x^2 - 6x + y^2 + 4y = 12$.",
  "(3, -2)",
  [r"Complete the square in $x$: $x^2 - 6x = (x - 3)^2 - 9$.",
   r"Complete the square in $y$: $y^2 + 4y = (y + 2)^2 - 4$.",
   r"So the equation becomes $(x - 3)^2 + (y + 2)^2 = 12 + 9 + 4 = 25$, a circle of radius 5 centered at $(3, -2)$."],
  [("(3, -2)", "exact"), ("(3,-2)", "ordered_pair"), (r"\left(3, -2\right)", "ordered_pair")],
  [("(-3, 2)", "sign_error", "signs flipped"), ("(-2, 3)", "reversed_pair", "coordinates swapped and negated"), ("5", "wrong_quantity", "radius instead of center")],
  inter=("25", 3), setlike=True)

P("MATH", r"What is the sum of all values of $x$ such that $|x - 4| = 7$?",
  "8",
  [r"The equation $|x - 4| = 7$ means $x - 4 = 7$ or $x - 4 = -7$.",
   r"So $x = 11$ or $x = -3$.",
   r"The sum is $11 + (-3) = 8$."],
  [("8", "exact")],
  [("11, -3", "intermediate_final", "listed the solutions instead of their sum"), ("14", "arith_slip", "11+3")],
  inter=("11", 2), given="7")

P("MATH", r"Express $0.\overline{36}$ as a common fraction in lowest terms.",
  r"\frac{4}{11}",
  [r"Let $x = 0.\overline{36}$. Then $100x = 36.\overline{36}$.",
   r"Subtracting, $99x = 36$, so $x = \frac{36}{99}$.",
   r"Dividing numerator and denominator by 9 gives $\frac{4}{11}$."],
  [(r"\frac{4}{11}", "exact"), ("4/11", "latex_frac_equiv"), (r"\tfrac{4}{11}", "latex_frac_equiv")],
  [(r"\frac{9}{25}", "wrong_value", "treated as 0.36"), ("0.36", "approx_not_exact", "not the repeating value")],
  setlike=False)

P("MATH", r"Compute $\dbinom{10}{3}$.",
  "120",
  [r"$\dbinom{10}{3} = \frac{10!}{3!\,7!} = \frac{10 \cdot 9 \cdot 8}{3 \cdot 2 \cdot 1}$.",
   r"The numerator is $720$ and the denominator is $6$, so the value is $720 / 6 = 120$."],
  [("120", "exact")],
  [("720", "intermediate_final", "permutations, forgot to divide by 3!"), ("240", "arith_slip", "divided by 3 only")],
  inter=("720", 1), given="10")

P("MATH", r"Find all real numbers $x$ such that $x^3 = 4x$. Enter all the solutions, separated by commas.",
  "-2, 0, 2",
  [r"Move everything to one side: $x^3 - 4x = 0$.",
   r"Factor: $x(x^2 - 4) = x(x - 2)(x + 2) = 0$.",
   r"So $x = 0$, $x = 2$, or $x = -2$."],
  [("-2, 0, 2", "exact"), ("0, 2, -2", "solution_set_order"), (r"x \in \{-2, 0, 2\}", "solution_set_order")],
  [("2, -2", "missing_solution", "divided by x and lost x=0"), ("0, 2", "missing_solution", "lost x=-2")],
  setlike=True,
  slip=([r"Divide both sides by $x$: $x^2 = 4$.",
         r"Taking square roots, $x = 2$ or $x = -2$.",
         r"So the solutions are $2$ and $-2$."], "2, -2"))

P("MATH", r"Solve the inequality $\frac{x+1}{x-2} \ge 0$. Express your answer in interval notation.",
  r"(-\infty, -1] \cup (2, \infty)",
  [r"The critical points are $x = -1$ (numerator zero) and $x = 2$ (denominator zero, excluded).",
   r"Test the sign: for $x < -1$ both factors are negative so the quotient is positive; for $-1 < x < 2$ the quotient is negative; for $x > 2$ it is positive.",
   r"Including $x = -1$ where the expression equals 0 and excluding $x = 2$, the solution set is $(-\infty, -1] \cup (2, \infty)$."],
  [(r"(-\infty, -1] \cup (2, \infty)", "exact"), (r"(-\infty,-1]\cup(2,\infty)", "interval_notation"), (r"\left(-\infty,-1\right]\cup\left(2,\infty\right)", "interval_notation")],
  [(r"(-\infty, -1] \cup [2, \infty)", "interval_endpoint", "included x=2 where it is undefined"), (r"(-1, 2)", "interval_direction", "the complement")],
  setlike=True)

P("MATH", r"What is the remainder when $2^{100}$ is divided by 7?",
  "2",
  [r"Powers of 2 mod 7 cycle: $2^1 \equiv 2$, $2^2 \equiv 4$, $2^3 = 8 \equiv 1 \pmod 7$.",
   r"Since $100 = 3 \cdot 33 + 1$, we have $2^{100} = (2^3)^{33} \cdot 2 \equiv 1^{33} \cdot 2 \pmod 7$.",
   r"So the remainder is 2."],
  [("2", "exact")],
  [("4", "off_by_one", "wrong position in the cycle"), ("1", "arith_slip", "forgot the leftover factor")],
  inter=("33", 2), given="7")

P("MATH", r"Express $25_{10}$ in base 3.",
  "221_3",
  [r"The powers of 3 are 1, 3, 9, 27. Since $27 > 25$, we start with 9.",
   r"$25 = 2 \cdot 9 + 7$, and $7 = 2 \cdot 3 + 1$.",
   r"So $25 = 2 \cdot 9 + 2 \cdot 3 + 1 \cdot 1$, which is $221_3$."],
  [("221_3", "exact"), ("221_{3}", "base_subscript"), ("221", "base_subscript")],
  [("122_3", "reversed_digits", "digits in reverse order"), ("25", "restate_given", "the decimal number itself")],
  given="25")

P("MATH", r"What day of the week will it be 40 days from Tuesday?",
  r"\text{Sunday}",
  [r"Every 7 days the day of the week repeats.",
   r"$40 = 5 \cdot 7 + 5$, so 40 days from Tuesday is the same as 5 days from Tuesday.",
   r"Counting: Wednesday (1), Thursday (2), Friday (3), Saturday (4), Sunday (5)."],
  [(r"\text{Sunday}", "exact"), ("Sunday", "text_answer")],
  [("Saturday", "off_by_one", "counted one day short"), ("Monday", "off_by_one", "counted one day too many")],
  text=True)

P("MATH", r"Simplify $(2 + 3i)(1 - 2i)$, where $i^2 = -1$.",
  "8 - i",
  [r"Expand: $(2 + 3i)(1 - 2i) = 2 - 4i + 3i - 6i^2$.",
   r"Since $i^2 = -1$, $-6i^2 = 6$.",
   r"Combining: $2 + 6 + (-4i + 3i) = 8 - i$."],
  [("8 - i", "exact"), ("8-i", "complex_form"), ("-i + 8", "complex_form"), ("8 - 1i", "complex_form")],
  [("8 + i", "sign_error", "imaginary part sign"), ("-4 - i", "sign_error", "used i^2 = 1")])

P("MATH", r"Compute $\log_2 64 - \log_3 \frac{1}{9}$.",
  "8",
  [r"$\log_2 64 = 6$ because $2^6 = 64$.",
   r"$\log_3 \frac{1}{9} = -2$ because $3^{-2} = \frac{1}{9}$.",
   r"So the expression is $6 - (-2) = 8$."],
  [("8", "exact")],
  [("4", "sign_error", "6 + (-2)"), ("-8", "sign_error", "overall sign")],
  inter=("6", 1))

P("MATH", r"Find the equation of the line through $(1, 5)$ and $(3, 9)$. Enter your answer in the form \"$y = mx + b$\".",
  "y = 2x + 3",
  [r"The slope is $m = \frac{9 - 5}{3 - 1} = \frac{4}{2} = 2$.",
   r"Using the point $(1, 5)$: $5 = 2 \cdot 1 + b$, so $b = 3$."],
  [("y = 2x + 3", "exact"), ("y=2x+3", "equation_form"), ("y = 3 + 2x", "equation_form")],
  [("y = 2x - 3", "sign_error", "intercept sign"), ("2", "intermediate_final", "only the slope")],
  inter=("2", 1), setlike=True)

P("MATH", r"What is the least common multiple of 18 and 24?",
  "72",
  [r"Prime factorizations: $18 = 2 \cdot 3^2$ and $24 = 2^3 \cdot 3$.",
   r"The LCM takes the highest power of each prime: $2^3 \cdot 3^2 = 8 \cdot 9 = 72$."],
  [("72", "exact")],
  [("6", "wrong_quantity", "the GCD"), ("432", "arith_slip", "the product")],
  given="24")

P("MATH", r"The area of a circle is $49\pi$ square units. What is the circumference of the circle? Express your answer in terms of $\pi$.",
  r"14\pi",
  [r"From $\pi r^2 = 49\pi$ we get $r^2 = 49$, so $r = 7$.",
   r"The circumference is $2\pi r = 2\pi \cdot 7 = 14\pi$."],
  [(r"14\pi", "exact"), (r"14 \pi", "pi_expression"), (r"\pi \cdot 14", "pi_expression")],
  [(r"7\pi", "wrong_value", "used pi*r"), ("43.98", "approx_not_exact", "decimal when pi form asked")],
  inter=("7", 1))

P("MATH", r"Find $x$ if $\log_x 81 = 4$.",
  "3",
  [r"$\log_x 81 = 4$ means $x^4 = 81$.",
   r"Since $81 = 3^4$, $x = \pm 3$ as real fourth roots, but a logarithm base must be positive and not 1.",
   r"So $x = 3$."],
  [("3", "exact"), ("x = 3", "var_prefix")],
  [("3, -3", "extra_solution", "negative base is invalid"), ("81", "restate_given", "number from the question")],
  given="81")

P("MATH", r"What is the largest prime factor of $1001$?",
  "13",
  [r"Try small primes: 1001 is odd, digit sum 2 so not divisible by 3, and it does not end in 0 or 5.",
   r"$1001 = 7 \cdot 143$, and $143 = 11 \cdot 13$.",
   r"So $1001 = 7 \cdot 11 \cdot 13$, and the largest prime factor is 13."],
  [("13", "exact")],
  [("11", "wrong_value", "second largest"), ("143", "intermediate_final", "not prime")],
  inter=("143", 2))

P("MATH", r"How many positive divisors does $360$ have?",
  "24",
  [r"Factor: $360 = 2^3 \cdot 3^2 \cdot 5$.",
   r"The number of divisors is $(3 + 1)(2 + 1)(1 + 1) = 4 \cdot 3 \cdot 2 = 24$."],
  [("24", "exact")],
  [("23", "off_by_one", "excluded 1 or 360"), ("6", "arith_slip", "multiplied the exponents")])

P("MATH", r"An arithmetic sequence has first term 3 and common difference 4. What is the sum of its first 15 terms?",
  "465",
  [r"The 15th term is $a_{15} = 3 + 14 \cdot 4 = 59$.",
   r"The sum of the first 15 terms is $\frac{15(3 + 59)}{2} = \frac{15 \cdot 62}{2} = 15 \cdot 31 = 465$."],
  [("465", "exact")],
  [("59", "intermediate_final", "15th term"), ("525", "off_by_one", "used 15*4 for the last term")],
  inter=("59", 1), given="15")

P("MATH", r"Rationalize the denominator: $\frac{5}{\sqrt{3} - 1}$.",
  r"\frac{5\sqrt{3}+5}{2}",
  [r"Multiply numerator and denominator by the conjugate $\sqrt{3} + 1$.",
   r"The denominator becomes $(\sqrt{3})^2 - 1^2 = 3 - 1 = 2$.",
   r"The numerator becomes $5(\sqrt{3} + 1) = 5\sqrt{3} + 5$, so the result is $\frac{5\sqrt{3} + 5}{2}$."],
  [(r"\frac{5\sqrt{3}+5}{2}", "exact"), (r"\frac{5(\sqrt{3}+1)}{2}", "radical_form"), (r"\frac{5+5\sqrt3}{2}", "radical_form"), (r"\frac{5}{2}\sqrt{3} + \frac{5}{2}", "radical_form")],
  [(r"\frac{5\sqrt{3}-5}{2}", "sign_error", "wrong conjugate sign"), (r"\frac{5\sqrt{3}+5}{4}", "wrong_value", "denominator 4")])

P("MATH", r"What is $\frac{2}{3}$ of $\frac{9}{8}$? Express your answer as a common fraction.",
  r"\frac{3}{4}",
  [r"\"Of\" means multiply: $\frac{2}{3} \cdot \frac{9}{8} = \frac{18}{24}$.",
   r"Simplify by dividing by 6: $\frac{18}{24} = \frac{3}{4}$."],
  [(r"\frac{3}{4}", "exact"), ("0.75", "decimal_equiv"), ("3/4", "latex_frac_equiv"), (r"\dfrac34", "latex_frac_equiv")],
  [(r"\frac{4}{3}", "reciprocal", "inverted"), (r"\frac{16}{27}", "wrong_op", "divided instead of multiplied")])

P("MATH", r"What is the maximum value of $-2x^2 + 8x - 3$?",
  "5",
  [r"The parabola opens downward, so the maximum is at the vertex $x = -\frac{b}{2a} = -\frac{8}{2(-2)} = 2$.",
   r"Plugging in: $-2(2)^2 + 8(2) - 3 = -8 + 16 - 3 = 5$."],
  [("5", "exact")],
  [("2", "intermediate_final", "the x-coordinate of the vertex"), ("-5", "sign_error", "sign slip")],
  inter=("2", 1))

P("MATH", r"In right triangle $ABC$ with $\angle B = 90^\circ$, $AB = 5$ and $BC = 12$. What is $\sin A$?",
  r"\frac{12}{13}",
  [r"By the Pythagorean theorem, $AC = \sqrt{5^2 + 12^2} = \sqrt{169} = 13$.",
   r"The side opposite angle $A$ is $BC = 12$ and the hypotenuse is $AC = 13$.",
   r"So $\sin A = \frac{12}{13}$."],
  [(r"\frac{12}{13}", "exact"), ("12/13", "latex_frac_equiv")],
  [(r"\frac{5}{13}", "wrong_value", "cos A"), (r"\frac{12}{5}", "wrong_value", "tan A"), ("0.92", "approx_not_exact", "rounded decimal")],
  inter=("13", 1))

P("MATH", r"If $f(x) = 3x - 7$, what is $f^{-1}(5)$?",
  "4",
  [r"We need $x$ with $f(x) = 5$: $3x - 7 = 5$.",
   r"Then $3x = 12$, so $x = 4$."],
  [("4", "exact")],
  [("8", "wrong_function", "computed f(5)"), (r"\frac{1}{8}", "reciprocal", "1/f(5) confusion")],
  given="5")

P("MATH", r"Compute $\arctan 1 + \arctan \sqrt{3}$. Express your answer in radians.",
  r"\frac{7\pi}{12}",
  [r"$\arctan 1 = \frac{\pi}{4}$ and $\arctan \sqrt{3} = \frac{\pi}{3}$.",
   r"Adding: $\frac{\pi}{4} + \frac{\pi}{3} = \frac{3\pi}{12} + \frac{4\pi}{12} = \frac{7\pi}{12}$."],
  [(r"\frac{7\pi}{12}", "exact"), (r"\frac{7}{12}\pi", "pi_expression"), (r"7\pi/12", "pi_expression")],
  [(r"\frac{5\pi}{12}", "wrong_value", "pi/6 + pi/4"), (r"\frac{\pi}{12}", "sign_error", "subtracted")])

P("MATH", r"In how many ways can 5 people sit in a row if two of them, Ann and Bob, refuse to sit next to each other?",
  "72",
  [r"Without restrictions there are $5! = 120$ arrangements.",
   r"Arrangements with Ann and Bob together: treat them as a block, giving $4!$ arrangements of the block and others, times 2 for the order inside the block: $2 \cdot 24 = 48$.",
   r"So the number with them apart is $120 - 48 = 72$."],
  [("72", "exact")],
  [("48", "intermediate_final", "counted arrangements with them together"), ("96", "arith_slip", "subtracted only 24")],
  inter=("48", 2), given="5")

P("MATH", r"Find the sum of the infinite geometric series $6 + 2 + \frac{2}{3} + \cdots$.",
  "9",
  [r"The first term is $a = 6$ and the common ratio is $r = \frac{2}{6} = \frac{1}{3}$.",
   r"Since $|r| < 1$, the sum is $\frac{a}{1 - r} = \frac{6}{2/3} = 9$."],
  [("9", "exact")],
  [(r"\frac{26}{3}", "intermediate_final", "sum of the three listed terms"), ("18", "arith_slip", "6/(1/3)")],
  given="6")

P("MATH", r"Solve for $x$: $2^{x+1} = 32$.",
  "4",
  [r"Write 32 as a power of 2: $32 = 2^5$.",
   r"So $x + 1 = 5$ and $x = 4$."],
  [("4", "exact"), ("x = 4", "var_prefix")],
  [("5", "off_by_one", "forgot the +1"), ("32", "restate_given", "the given value")],
  given="32")

P("MATH", r"What is the range of the function $f(x) = x^2 + 4$? Express your answer in interval notation.",
  r"[4, \infty)",
  [r"Since $x^2 \ge 0$ for every real $x$, we have $f(x) = x^2 + 4 \ge 4$.",
   r"The value 4 is attained at $x = 0$, and $f(x)$ grows without bound.",
   r"So the range is $[4, \infty)$."],
  [(r"[4, \infty)", "exact"), (r"[4,\infty)", "interval_notation"), (r"\left[4, \infty\right)", "interval_notation")],
  [(r"(4, \infty)", "interval_endpoint", "excluded the attained minimum"), ("4", "value_not_interval", "the minimum value instead of the range")],
  setlike=True)

P("MATH", r"Express $\frac{7}{16}$ as a decimal.",
  "0.4375",
  [r"$\frac{7}{16} = \frac{7 \cdot 625}{16 \cdot 625} = \frac{4375}{10000}$.",
   r"So it equals $0.4375$."],
  [("0.4375", "exact"), (".4375", "decimal_equiv")],
  [("0.44", "approx_not_exact", "rounded"), ("0.4357", "arith_slip", "transposed digits")])

P("MATH", r"Round $\sqrt{50}$ to the nearest hundredth.",
  "7.07",
  [r"$\sqrt{50} = 5\sqrt{2} \approx 5 \times 1.41421 = 7.07107$.",
   r"The thousandths digit is 1, so rounding to the nearest hundredth gives 7.07."],
  [("7.07", "exact")],
  [("7.1", "wrong_rounding", "rounded to tenths"), ("7.08", "wrong_rounding", "rounded up")],
  given="50")

P("MATH", r"How many positive integers $n \le 100$ are divisible by 3 or 5?",
  "47",
  [r"Multiples of 3 up to 100: $\lfloor 100/3 \rfloor = 33$.",
   r"Multiples of 5: $\lfloor 100/5 \rfloor = 20$. Multiples of 15: $\lfloor 100/15 \rfloor = 6$.",
   r"By inclusion-exclusion: $33 + 20 - 6 = 47$."],
  [("47", "exact")],
  [("53", "wrong_quantity", "the complement"), ("41", "arith_slip", "subtracted 12")],
  inter=("33", 1))

P("MATH", r"Find all values of $x$ such that $\sqrt{x + 7} = x - 5$.",
  "9",
  [r"Square both sides: $x + 7 = x^2 - 10x + 25$, so $x^2 - 11x + 18 = 0$.",
   r"Factor: $(x - 9)(x - 2) = 0$, so $x = 9$ or $x = 2$.",
   r"Check: for $x = 9$, $\sqrt{16} = 4 = 9 - 5$. For $x = 2$, $\sqrt{9} = 3$ but $2 - 5 = -3$, so $x = 2$ is extraneous."],
  [("9", "exact"), ("x = 9", "var_prefix")],
  [("2, 9", "extra_solution", "kept the extraneous root"), ("2", "wrong_value", "the extraneous root")],
  setlike=True,
  slip=([r"Square both sides: $x + 7 = x^2 - 10x + 25$, so $x^2 - 11x + 18 = 0$.",
         r"Factor: $(x - 9)(x - 2) = 0$.",
         r"So both $x = 9$ and $x = 2$ are solutions."], "2, 9"))

P("MATH", r"Simplify $(3x^2 - 2x + 1) - (x^2 + 4x - 5)$.",
  "2x^2 - 6x + 6",
  [r"Distribute the minus sign: $3x^2 - 2x + 1 - x^2 - 4x + 5$.",
   r"Combine like terms: $(3x^2 - x^2) + (-2x - 4x) + (1 + 5) = 2x^2 - 6x + 6$."],
  [("2x^2 - 6x + 6", "exact"), ("2x^2-6x+6", "polynomial_equiv"), ("6 - 6x + 2x^2", "polynomial_equiv")],
  [("2x^2 + 2x - 4", "sign_error", "did not distribute the minus"), ("2x^2 - 6x - 4", "sign_error", "constant sign")])

P("MATH", r"Factor $x^2 + x - 6$.",
  "(x+3)(x-2)",
  [r"We need two numbers whose product is $-6$ and whose sum is $1$.",
   r"Those are $3$ and $-2$, since $3 \cdot (-2) = -6$ and $3 + (-2) = 1$."],
  [("(x+3)(x-2)", "exact"), ("(x-2)(x+3)", "polynomial_equiv"), ("(x + 3)(x - 2)", "polynomial_equiv")],
  [("x^2+x-6", "not_factored", "restated the expanded polynomial"), ("(x-3)(x+2)", "sign_error", "signs swapped")],
  setlike=True)

P("MATH", r"If $\sin \theta = \frac{3}{5}$ and $\theta$ is in the second quadrant, find $\cos \theta$.",
  r"-\frac{4}{5}",
  [r"Using $\sin^2\theta + \cos^2\theta = 1$: $\cos^2\theta = 1 - \frac{9}{25} = \frac{16}{25}$.",
   r"So $\cos\theta = \pm\frac{4}{5}$.",
   r"In the second quadrant cosine is negative, so $\cos\theta = -\frac{4}{5}$."],
  [(r"-\frac{4}{5}", "exact"), ("-0.8", "decimal_equiv"), (r"-\frac45", "latex_frac_equiv")],
  [(r"\frac{4}{5}", "sign_error", "ignored the quadrant"), (r"\pm\frac{4}{5}", "hedge", "did not pick the sign")],
  inter=(r"\frac{16}{25}", 1))

P("MATH", r"Two fair six-sided dice are rolled. What is the probability that the sum is 7? Express your answer as a common fraction.",
  r"\frac{1}{6}",
  [r"There are $6 \times 6 = 36$ equally likely outcomes.",
   r"The pairs summing to 7 are $(1,6), (2,5), (3,4), (4,3), (5,2), (6,1)$: 6 outcomes.",
   r"So the probability is $\frac{6}{36} = \frac{1}{6}$."],
  [(r"\frac{1}{6}", "exact"), ("1/6", "latex_frac_equiv")],
  [(r"\frac{1}{12}", "wrong_value", "counted unordered pairs"), ("0.17", "approx_not_exact", "rounded decimal")],
  inter=("36", 1))

P("MATH", r"What is the coefficient of $x^3$ in the expansion of $(2x + 1)^5$?",
  "80",
  [r"By the binomial theorem, the $x^3$ term is $\binom{5}{3}(2x)^3(1)^2$.",
   r"$\binom{5}{3} = 10$ and $(2x)^3 = 8x^3$.",
   r"So the coefficient is $10 \cdot 8 = 80$."],
  [("80", "exact")],
  [("10", "intermediate_final", "forgot the 2^3 factor"), ("40", "arith_slip", "used 2^2")],
  inter=("10", 2))

P("MATH", r"Compute $i^{2023}$.",
  "-i",
  [r"Powers of $i$ cycle with period 4: $i, -1, -i, 1$.",
   r"$2023 = 4 \cdot 505 + 3$, so $i^{2023} = i^3 = -i$."],
  [("-i", "exact"), ("- i", "complex_form")],
  [("i", "sign_error", "i^1"), ("-1", "off_by_one", "i^2")],
  inter=("505", 1))

P("MATH", r"Compute $\lfloor \pi^2 \rfloor$.",
  "9",
  [r"$\pi \approx 3.14159$, so $\pi^2 \approx 9.8696$.",
   r"The floor is the greatest integer not exceeding this, which is 9."],
  [("9", "exact")],
  [("10", "wrong_rounding", "rounded instead of floor"), ("9.87", "approx_not_exact", "no floor applied")],
  inter=("9.8696", 1))

P("MATH", r"What is the measure, in degrees, of each interior angle of a regular hexagon?",
  "120",
  [r"The interior angles of an $n$-gon sum to $180(n - 2)$ degrees. For $n = 6$ that is $180 \cdot 4 = 720$ degrees.",
   r"Each of the 6 equal angles is $720 / 6 = 120$ degrees."],
  [("120", "exact"), (r"120^\circ", "degree_symbol"), ("120°", "degree_symbol"), (r"120 \text{ degrees}", "degree_symbol")],
  [("60", "wrong_quantity", "exterior angle"), ("720", "intermediate_final", "angle sum")],
  inter=("720", 1))

P("MATH", r"A triangle has side lengths 7, 24, and 25. What is its area?",
  "84",
  [r"Check: $7^2 + 24^2 = 49 + 576 = 625 = 25^2$, so it is a right triangle with legs 7 and 24.",
   r"Its area is $\frac{1}{2} \cdot 7 \cdot 24 = 84$."],
  [("84", "exact")],
  [("168", "arith_slip", "forgot the 1/2"), ("87.5", "arith_slip", "used 7 and 25")],
  given="25")

P("MATH", r"Find the vertex of the parabola $y = x^2 - 4x + 1$.",
  "(2, -3)",
  [r"Complete the square: $y = (x^2 - 4x + 4) - 4 + 1 = (x - 2)^2 - 3$.",
   r"So the vertex is at $x = 2$, $y = -3$."],
  [("(2, -3)", "exact"), ("(2,-3)", "ordered_pair")],
  [("(-2, -3)", "sign_error", "x sign"), ("(-3, 2)", "reversed_pair", "coordinates swapped"), ("-3", "wrong_quantity", "only the minimum value")],
  setlike=True)

P("MATH", r"Compute $(3 \times 10^4)(2 \times 10^{-7})$. Express your answer in scientific notation.",
  r"6 \times 10^{-3}",
  [r"Multiply the coefficients: $3 \times 2 = 6$.",
   r"Add the exponents: $10^4 \times 10^{-7} = 10^{-3}$."],
  [(r"6 \times 10^{-3}", "exact"), (r"6\times10^{-3}", "sci_notation"), (r"6 \cdot 10^{-3}", "sci_notation")],
  [(r"6 \times 10^{-4}", "off_by_one", "exponent slip"), (r"6 \times 10^{3}", "sign_error", "exponent sign")])

# ---------------------------------------------------------------- AIME
P("AIME", r"Find the number of ordered pairs of positive integers $(a,b)$ such that $a+b=1000$ and neither $a$ nor $b$ has a zero digit.",
  "738",
  [r"Write $b = 1000 - a$ with $1 \le a \le 999$. If $a$ has digits $h, t, u$ with $u \ne 0$, then $b$ has units digit $10 - u$, tens digit $9 - t$, and hundreds digit $9 - h$ (leading zeros of $b$ don't count as digits).",
   r"Three-digit $a$ with $h \le 8$: need $1 \le t \le 8$ and $1 \le u \le 9$, giving $8 \cdot 8 \cdot 9 = 576$. With $h = 9$: $b = 1000 - a$ has at most two digits; $t \le 8$ gives $8 \cdot 9 = 72$, and $t = 9$ gives $b = 10 - u$, another 9. So 3-digit $a$ contribute $576 + 72 + 9 = 657$.",
   r"Two-digit $a$: $b$ is $9(9-t)(10-u)$, so $t \le 8$: $8 \cdot 9 = 72$. One-digit $a$: $b = 99(10-u)$, all 9 work.",
   r"Total: $657 + 72 + 9 = 738$."],
  [("738", "exact")],
  [("657", "intermediate_final", "only three-digit a"), ("729", "arith_slip", "9^3 heuristic")],
  inter=("657", 2), given="1000")

P("AIME", r"Find the remainder when $9 \times 99 \times 999 \times \cdots \times \underbrace{99\cdots9}_{\text{999 9's}}$ is divided by $1000$.",
  "109",
  [r"Every factor with at least three 9's is $10^k - 1 \equiv -1 \pmod{1000}$.",
   r"There are $999 - 2 = 997$ such factors, contributing $(-1)^{997} = -1$.",
   r"The first two factors give $9 \times 99 = 891$. So the product is $\equiv -891 \equiv 109 \pmod{1000}$."],
  [("109", "exact")],
  [("891", "intermediate_final", "forgot the sign from the other factors"), ("997", "wrong_quantity", "number of factors")],
  inter=("891", 3))

P("AIME", r"How many positive integers less than $1000$ are divisible by $7$ but not by $11$?",
  "130",
  [r"Multiples of 7 below 1000: $\lfloor 999/7 \rfloor = 142$.",
   r"Among those, the ones also divisible by 11 are multiples of 77: $\lfloor 999/77 \rfloor = 12$.",
   r"So $142 - 12 = 130$."],
  [("130", "exact")],
  [("142", "intermediate_final", "did not exclude multiples of 77"), ("129", "off_by_one", "near miss")],
  inter=("142", 1))

P("AIME", r"Let $S$ be the sum of all positive integers $n$ such that $n^2+12n-2007$ is a perfect square. Find the remainder when $S$ is divided by $1000$.",
  "464",
  [r"Set $n^2 + 12n - 2007 = m^2$. Completing the square: $(n + 6)^2 - m^2 = 2043$.",
   r"So $(n + 6 - m)(n + 6 + m) = 2043 = 3^2 \cdot 227$. The factor pairs are $(1, 2043)$, $(3, 681)$, $(9, 227)$.",
   r"Then $n + 6 = 1022, 342, 118$, so $n = 1016, 336, 112$, and $S = 1464$.",
   r"The remainder when 1464 is divided by 1000 is 464."],
  [("464", "exact")],
  [("1464", "intermediate_final", "did not reduce mod 1000"), ("448", "arith_slip", "near miss")],
  inter=("1464", 3), given="2007")

P("AIME", r"Find the least positive integer $n$ for which $2^n + 5^n - n$ is a multiple of $1000$.",
  "797",
  [r"We need $2^n + 5^n \equiv n$ modulo both 8 and 125. For $n \ge 3$: mod 8, $2^n \equiv 0$, so $5^n \equiv n \pmod 8$. Since $5^n \equiv 5$ for odd $n$ and $1$ for even $n$, we need $n \equiv 5 \pmod 8$.",
   r"Mod 125, $5^n \equiv 0$, so we need $2^n \equiv n \pmod{125}$.",
   r"Writing $n = 8k + 5$ and using that $2^{100} \equiv 1 \pmod{125}$, searching the residues gives the first solution at $n = 797$: one checks $2^{797} \equiv 797 \equiv 47 \pmod{125}$ and $797 \equiv 5 \pmod 8$."],
  [("797", "exact")],
  [("797 \\text{ or } 997", "hedge", "two candidates"), ("47", "intermediate_final", "residue mod 125")],
  inter=("125", 2))

P("AIME", r"How many positive integer divisors of $2004^{2004}$ are divisible by exactly $2004$ positive integers?",
  "54",
  [r"$2004 = 2^2 \cdot 3 \cdot 167$, so $2004^{2004} = 2^{4008} \cdot 3^{2004} \cdot 167^{2004}$.",
   r"A divisor $2^a 3^b 167^c$ has $(a+1)(b+1)(c+1)$ divisors, and we need this to equal $2004 = 2^2 \cdot 3 \cdot 167$.",
   r"We count ordered triples: distributing $2^2$ among three factors gives $\binom{4}{2} = 6$ ways, the 3 can go to any of 3 factors, and the 167 to any of 3 factors.",
   r"Total: $6 \cdot 3 \cdot 3 = 54$."],
  [("54", "exact"), ("054", "aime_padding")],
  [("27", "arith_slip", "3 ways for 2^2"), ("2004", "restate_given", "number from the question")],
  given="2004")

P("AIME", r"How many positive integers less than $200$ are perfect squares or perfect cubes?",
  "17",
  [r"Perfect squares less than 200: $1^2, \dots, 14^2 = 196$, so 14 of them.",
   r"Perfect cubes less than 200: $1^3, \dots, 5^3 = 125$ (since $6^3 = 216$), so 5 of them.",
   r"Numbers that are both are sixth powers: $1$ and $64$, so 2 of them. Total: $14 + 5 - 2 = 17$."],
  [("17", "exact"), ("017", "aime_padding")],
  [("19", "arith_slip", "forgot to subtract the overlap"), ("16", "off_by_one", "near miss")],
  inter=("14", 1))

P("AIME", r"Find the remainder when $3^{2023}$ is divided by $1000$.",
  "827",
  [r"Since $\lambda(1000) = 100$, $3^{100} \equiv 1 \pmod{1000}$, so $3^{2023} \equiv 3^{23} \pmod{1000}$.",
   r"$3^{10} = 59049 \equiv 49$, so $3^{20} \equiv 49^2 = 2401 \equiv 401$.",
   r"Then $3^{23} = 3^{20} \cdot 27 \equiv 401 \cdot 27 = 10827 \equiv 827 \pmod{1000}$."],
  [("827", "exact")],
  [("401", "intermediate_final", "3^20 mod 1000"), ("287", "reversed_digits", "transposed digits")],
  inter=("401", 2))

# ---------------------------------------------------------------- AMC
P("AMC", r"What is the value of $\frac{2^{2014}+2^{2012}}{2^{2014}-2^{2012}}$?",
  r"\frac{5}{3}",
  [r"Factor $2^{2012}$ out of the numerator and denominator.",
   r"The numerator becomes $2^{2012}(4 + 1) = 5 \cdot 2^{2012}$ and the denominator $2^{2012}(4 - 1) = 3 \cdot 2^{2012}$.",
   r"So the ratio is $\frac{5}{3}$."],
  [(r"\frac{5}{3}", "exact"), ("5/3", "latex_frac_equiv"), (r"\dfrac{5}{3}", "latex_frac_equiv")],
  [(r"\frac{3}{5}", "reciprocal", "inverted"), ("1", "arith_slip", "cancelled everything")])

P("AMC", r"How many positive three-digit integers have digits whose sum is $5$?",
  "15",
  [r"Let the digits be $a, b, c$ with $a \ge 1$ and $a + b + c = 5$.",
   r"Substitute $a' = a - 1 \ge 0$: $a' + b + c = 4$.",
   r"By stars and bars the number of nonnegative solutions is $\binom{6}{2} = 15$."],
  [("15", "exact")],
  [("21", "arith_slip", "allowed a=0"), ("10", "arith_slip", "near miss")])

P("AMC", r"A rectangle has perimeter $30$ and a diagonal of length $13$. What is its area?",
  "28",
  [r"Let the sides be $l$ and $w$. Then $l + w = 15$ and $l^2 + w^2 = 169$.",
   r"$(l + w)^2 = l^2 + 2lw + w^2$, so $225 = 169 + 2lw$, giving $2lw = 56$.",
   r"The area is $lw = 28$."],
  [("28", "exact")],
  [("56", "intermediate_final", "2lw, not lw"), ("30", "restate_given", "the perimeter")],
  inter=("56", 2), given="30")

P("AMC", r"If $x + \frac{1}{x} = 4$, what is $x^2 + \frac{1}{x^2}$?",
  "14",
  [r"Square both sides: $\left(x + \frac{1}{x}\right)^2 = x^2 + 2 + \frac{1}{x^2} = 16$.",
   r"So $x^2 + \frac{1}{x^2} = 16 - 2 = 14$."],
  [("14", "exact")],
  [("16", "intermediate_final", "forgot to subtract 2"), ("18", "sign_error", "added 2")],
  inter=("16", 1), given="4")

P("AMC", r"What is the smallest positive integer $n$ such that $n!$ ends in exactly two zeros? $\textbf{(A) }8 \qquad \textbf{(B) }9 \qquad \textbf{(C) }10 \qquad \textbf{(D) }15 \qquad \textbf{(E) }20$",
  "C",
  [r"The number of trailing zeros of $n!$ equals the number of factors of 5 (there are always more 2s).",
   r"For $n = 5, \dots, 9$ there is one factor of 5, so one trailing zero. At $n = 10$ there are two factors of 5 (from 5 and 10).",
   r"So the smallest $n$ is 10, which is choice (C)."],
  [("C", "exact"), (r"\textbf{(C) }10", "mc_letter_value"), ("(C)", "mc_letter")],
  [("D", "wrong_option", "15"), (r"\textbf{(B) }9", "wrong_option", "9! has one trailing zero")],
  text=True)

P("AMC", r"What is the area of the triangle with vertices $(0,0)$, $(4,0)$, and $(1,3)$?",
  "6",
  [r"The base from $(0,0)$ to $(4,0)$ has length 4.",
   r"The height is the $y$-coordinate of $(1,3)$, which is 3.",
   r"Area $= \frac{1}{2} \cdot 4 \cdot 3 = 6$."],
  [("6", "exact")],
  [("12", "arith_slip", "forgot 1/2"), ("3", "wrong_quantity", "the height")])

# ---------------------------------------------------------------- OlympiadBench
P("OlympiadBench", r"Determine the minimum number of moves needed to transfer a tower of $n$ disks in the Tower of Hanoi puzzle.",
  "$2^{n}-1$",
  [r"Let $T_n$ be the minimum number of moves. To move $n$ disks, we must move the top $n-1$ disks off, move the largest disk, then move the $n-1$ disks back on top: $T_n = 2T_{n-1} + 1$, with $T_1 = 1$.",
   r"Then $T_n + 1 = 2(T_{n-1} + 1)$, so $T_n + 1 = 2^n$.",
   r"Hence $T_n = 2^n - 1$."],
  [("2^n - 1", "exact"), ("2^{n}-1", "polynomial_equiv"), ("-1 + 2^{n}", "polynomial_equiv")],
  [("2^{n-1}", "wrong_value", "off by a factor"), ("2^n", "off_by_one", "forgot the -1")],
  inter=("2T_{n-1} + 1", 1))

P("OlympiadBench", r"Find all real numbers $x$ such that $4^x - 3 \cdot 2^x + 2 = 0$.",
  "$0,1$",
  [r"Let $t = 2^x > 0$. Then $4^x = t^2$, and the equation becomes $t^2 - 3t + 2 = 0$.",
   r"This factors as $(t - 1)(t - 2) = 0$, so $t = 1$ or $t = 2$.",
   r"$2^x = 1$ gives $x = 0$, and $2^x = 2$ gives $x = 1$."],
  [("0, 1", "exact"), ("1, 0", "solution_set_order"), (r"x = 0 \text{ and } x = 1", "solution_set_order")],
  [("1", "missing_solution", "dropped x=0"), ("1, 2", "intermediate_final", "values of t, not x")],
  setlike=True)

P("OlympiadBench", r"Compute the number of ordered pairs of integers $(a,b)$ such that $a^2 + b^2 = 25$.",
  "12",
  [r"We need integer points on the circle of radius 5.",
   r"The representations are $25 = 0 + 25 = 9 + 16 = 16 + 9 = 25 + 0$.",
   r"Points with a zero coordinate: $(\pm 5, 0), (0, \pm 5)$, 4 points. Points $(\pm 3, \pm 4)$ and $(\pm 4, \pm 3)$: 8 points. Total $4 + 8 = 12$."],
  [("12", "exact")],
  [("8", "missing_solution", "missed axis points"), ("4", "wrong_quantity", "only nonnegative pairs")],
  given="25")

P("OlympiadBench", r"Compute the smallest positive integer $k$ such that $12k$ is a perfect cube.",
  "18",
  [r"$12 = 2^2 \cdot 3$.",
   r"For $12k$ to be a cube, every prime exponent must be a multiple of 3, so $k$ must supply at least $2^1 \cdot 3^2$.",
   r"The smallest such $k$ is $2 \cdot 9 = 18$, and indeed $12 \cdot 18 = 216 = 6^3$."],
  [("18", "exact")],
  [("6", "wrong_value", "gives 72, not a cube"), ("216", "intermediate_final", "the cube itself")],
  given="12")

P("OlympiadBench", r"Find a closed form for $1^3 + 2^3 + \cdots + n^3$.",
  r"$\frac{n^{2}(n+1)^{2}}{4}$",
  [r"Compute small cases: $1 = 1$, $1 + 8 = 9$, $9 + 27 = 36$, $36 + 64 = 100$. These are $1^2, 3^2, 6^2, 10^2$, squares of triangular numbers.",
   r"So the sum is $\left(\frac{n(n+1)}{2}\right)^2$, which can be proven by induction: adding $(n+1)^3$ to $\frac{n^2(n+1)^2}{4}$ gives $\frac{(n+1)^2(n^2 + 4n + 4)}{4} = \frac{(n+1)^2(n+2)^2}{4}$."],
  [(r"\frac{n^2(n+1)^2}{4}", "exact"), (r"\left(\frac{n(n+1)}{2}\right)^2", "polynomial_equiv"), (r"\frac{n^4 + 2n^3 + n^2}{4}", "polynomial_equiv")],
  [(r"\frac{n(n+1)}{2}", "wrong_value", "sum of first n integers"), (r"\frac{n^2(n+1)^2}{2}", "wrong_value", "wrong denominator")])

P("OlympiadBench", r"Find all pairs of positive integers $(x, y)$ such that $xy = 2x + 3y$.",
  "$(4,8),(5,5),(6,4),(9,3)$",
  [r"Rearrange: $xy - 2x - 3y = 0$, so $(x - 3)(y - 2) = 6$.",
   r"Since $x, y$ are positive, one checks the negative factorizations give no positive solutions (e.g. $x - 3 = -1$ forces $y = -4$).",
   r"Positive factor pairs of 6: $(1,6), (2,3), (3,2), (6,1)$, giving $(x,y) = (4,8), (5,5), (6,4), (9,3)$."],
  [("(4,8),(5,5),(6,4),(9,3)", "exact"), ("(9,3), (6,4), (5,5), (4,8)", "solution_set_order")],
  [("(4,8),(5,5),(6,4)", "missing_solution", "dropped (9,3)"), ("(8,4),(5,5),(4,6),(3,9)", "reversed_pair", "coordinates swapped")],
  setlike=True)

# ---------------------------------------------------------------- Minerva
P("Minerva", r"A ball is dropped from rest from a height of 20 m. Taking $g = 10\ \mathrm{m/s^2}$, how long in seconds does it take to hit the ground?",
  "2",
  [r"For free fall from rest, $h = \frac{1}{2} g t^2$.",
   r"So $t^2 = \frac{2h}{g} = \frac{40}{10} = 4$.",
   r"Therefore $t = 2$ s."],
  [("2", "exact"), (r"2 \text{ s}", "units_text"), (r"2.0\ \mathrm{s}", "units_text")],
  [("4", "intermediate_final", "t^2 rather than t"), ("20", "restate_given", "the height")],
  inter=("4", 2), given="20")

P("Minerva", r"What is the frequency, in Hz, of light with wavelength $500$ nm? Take $c = 3 \times 10^8$ m/s.",
  "6e14",
  [r"$\nu = \frac{c}{\lambda}$ with $\lambda = 500 \text{ nm} = 5 \times 10^{-7}$ m.",
   r"$\nu = \frac{3 \times 10^8}{5 \times 10^{-7}} = 0.6 \times 10^{15}$ Hz."],
  [(r"6 \times 10^{14}", "sci_notation"), (r"6.0 \times 10^{14} \text{ Hz}", "sci_notation"), ("6e14", "exact")],
  [(r"6 \times 10^{17}", "unit_conversion", "used 5e-10 m for 500 nm"), (r"1.67 \times 10^{-15}", "reciprocal", "lambda/c")])

P("Minerva", r"What is the present value of \$1000 received in 2 years if the interest rate is 10% per year compounded annually? Give your answer to the nearest dollar.",
  "826",
  [r"$PV = \frac{1000}{(1.10)^2} = \frac{1000}{1.21}$.",
   r"$1000 / 1.21 \approx 826.45$, which rounds to 826 dollars."],
  [("826", "exact"), (r"\$826", "money_format")],
  [("827", "wrong_rounding", "rounded up"), ("833", "arith_slip", "simple interest discount")],
  given="1000")

P("Minerva", r"A star has a parallax of $0.1$ arcseconds. What is its distance in parsecs?",
  "10",
  [r"Distance in parsecs is the reciprocal of the parallax in arcseconds: $d = \frac{1}{p}$.",
   r"With $p = 0.1''$, $d = \frac{1}{0.1} = 10$ pc."],
  [("10", "exact"), (r"10 \text{ pc}", "units_text")],
  [("32.6", "unit_conversion", "light years instead of parsecs"), ("0.1", "restate_given", "the parallax")],
  given="0.1")

P("Minerva", r"An object of mass 2 kg moves at 3 m/s. What is its kinetic energy in joules?",
  "9",
  [r"$KE = \frac{1}{2} m v^2$.",
   r"$KE = \frac{1}{2} \cdot 2 \cdot 3^2 = 9$ J."],
  [("9", "exact"), (r"9 \text{ J}", "units_text"), (r"9\,\mathrm{J}", "units_text")],
  [("18", "arith_slip", "forgot 1/2"), ("6", "wrong_quantity", "momentum")])

# ---------------------------------------------------------------- CollegeMath
P("CollegeMath", r"Find $\frac{d}{dx}\left[x^2 \sin x\right]$.",
  r"2x\sin x + x^2\cos x",
  [r"Use the product rule: $(uv)' = u'v + uv'$ with $u = x^2$ and $v = \sin x$.",
   r"$u' = 2x$ and $v' = \cos x$."],
  [(r"2x\sin x + x^2\cos x", "exact"), (r"x^2\cos(x) + 2x\sin(x)", "polynomial_equiv"), (r"x(2\sin x + x\cos x)", "polynomial_equiv")],
  [(r"2x\cos x", "wrong_value", "multiplied the derivatives"), (r"2x\sin x - x^2\cos x", "sign_error", "wrong sign")])

P("CollegeMath", r"Evaluate $\int_0^1 3x^2 \, dx$.",
  "1",
  [r"An antiderivative of $3x^2$ is $x^3$.",
   r"Evaluate from 0 to 1: $1^3 - 0^3 = 1$."],
  [("1", "exact")],
  [("x^3", "intermediate_final", "antiderivative instead of value"), ("3", "arith_slip", "did not integrate")],
  inter=("x^3", 1))

P("CollegeMath", r"Evaluate $\lim_{x \to 0} \frac{\sin 3x}{x}$.",
  "3",
  [r"Rewrite $\frac{\sin 3x}{x} = 3 \cdot \frac{\sin 3x}{3x}$.",
   r"As $x \to 0$, $\frac{\sin 3x}{3x} \to 1$, so the limit is $3 \cdot 1 = 3$."],
  [("3", "exact")],
  [("1", "wrong_value", "used sin u/u -> 1 directly"), (r"\frac{1}{3}", "reciprocal", "inverted")])

P("CollegeMath", r"Solve the system $x + y = 7$, $2x - y = 5$.",
  "(4, 3)",
  [r"Add the equations: $3x = 12$, so $x = 4$.",
   r"Then $y = 7 - 4 = 3$. Check: $2(4) - 3 = 5$."],
  [("(4, 3)", "exact"), ("x = 4, y = 3", "ordered_pair")],
  [("(3, 4)", "reversed_pair", "swapped coordinates"), ("x = 4", "missing_solution", "y missing")],
  setlike=True)

P("CollegeMath", r"Find the eigenvalues of the matrix $\begin{pmatrix} 2 & 1 \\ 1 & 2 \end{pmatrix}$.",
  "1, 3",
  [r"The characteristic polynomial is $\det\begin{pmatrix} 2 - \lambda & 1 \\ 1 & 2 - \lambda \end{pmatrix} = (2 - \lambda)^2 - 1$.",
   r"Setting it to zero: $2 - \lambda = \pm 1$, so $\lambda = 1$ or $\lambda = 3$."],
  [("1, 3", "exact"), (r"\lambda_1 = 3, \lambda_2 = 1", "solution_set_order"), ("3, 1", "solution_set_order")],
  [("3", "missing_solution", "only the largest"), ("-1, -3", "sign_error", "wrong signs")],
  setlike=True)

P("CollegeMath", r"Compute $\sum_{n=0}^{\infty} \frac{1}{2^n}$.",
  "2",
  [r"This is a geometric series with first term $1$ and ratio $\frac{1}{2}$.",
   r"Its sum is $\frac{1}{1 - \frac{1}{2}} = 2$."],
  [("2", "exact"), ("2.0", "decimal_equiv")],
  [("1", "off_by_one", "started at n=1"), (r"\infty", "wrong_value", "claimed divergence")])

P("CollegeMath", r"Find the inverse of the matrix $\begin{pmatrix} 2 & 1 \\ 5 & 3 \end{pmatrix}$.",
  r"\begin{pmatrix} 3 & -1 \\ -5 & 2 \end{pmatrix}",
  [r"The determinant is $2 \cdot 3 - 1 \cdot 5 = 1$.",
   r"For $\begin{pmatrix} a & b \\ c & d \end{pmatrix}$ the inverse is $\frac{1}{ad - bc}\begin{pmatrix} d & -b \\ -c & a \end{pmatrix}$."],
  [(r"\begin{pmatrix} 3 & -1 \\ -5 & 2 \end{pmatrix}", "exact"), (r"\begin{bmatrix}3&-1\\-5&2\end{bmatrix}", "matrix_vector")],
  [(r"\begin{pmatrix} 3 & 1 \\ 5 & 2 \end{pmatrix}", "sign_error", "forgot to negate off-diagonals"), (r"\begin{pmatrix} 2 & 5 \\ 1 & 3 \end{pmatrix}", "transpose", "transposed instead of inverted")],
  setlike=True)

# ---------------------------------------------------------------- TheoremQA
P("TheoremQA", r"Is 1001 a prime number?",
  "False",
  [r"Test small primes: 1001 is not divisible by 2, 3, or 5.",
   r"$1001 / 7 = 143$, so 7 divides 1001. In fact $1001 = 7 \cdot 11 \cdot 13$.",
   r"So 1001 has nontrivial divisors and is not prime."],
  [("False", "exact"), (r"\text{False}", "boolean"), ("No", "boolean")],
  [("True", "boolean_flip", "wrong truth value")],
  text=True)

P("TheoremQA", r"Is the function $f(x) = x^3$ injective on $\mathbb{R}$?",
  "True",
  [r"$f'(x) = 3x^2 \ge 0$, with equality only at $x = 0$, so $f$ is strictly increasing.",
   r"Alternatively, $x^3 = y^3$ implies $(x - y)(x^2 + xy + y^2) = 0$, and the second factor vanishes only when $x = y = 0$.",
   r"So $f(x) = y$ has at most one solution and $f$ is injective."],
  [("True", "exact"), ("Yes", "boolean"), (r"\text{True}", "boolean")],
  [("False", "boolean_flip", "wrong truth value")],
  text=True)

P("TheoremQA", r"What are the roots of $x^2 - 5x + 4 = 0$? Return them as a list.",
  "[1, 4]",
  [r"Factor: $x^2 - 5x + 4 = (x - 1)(x - 4)$.",
   r"So the roots are $x = 1$ and $x = 4$."],
  [("[1, 4]", "exact"), ("[1,4]", "list_answer"), ("[4, 1]", "list_answer")],
  [("[4]", "missing_solution", "one root only"), ("[-1, -4]", "sign_error", "wrong signs")],
  setlike=True)

P("TheoremQA", r"What is the variance of the outcome of a single roll of a fair six-sided die?",
  "2.917",
  [r"The mean is $\frac{1 + 2 + \cdots + 6}{6} = 3.5$.",
   r"$E[X^2] = \frac{1 + 4 + 9 + 16 + 25 + 36}{6} = \frac{91}{6}$.",
   r"Variance $= \frac{91}{6} - 3.5^2 = \frac{91}{6} - \frac{49}{4} = \frac{182 - 147}{12} = \frac{35}{12} \approx 2.917$."],
  [("2.917", "exact"), (r"\frac{35}{12}", "decimal_equiv")],
  [("3.5", "wrong_quantity", "the mean"), ("2.5", "arith_slip", "near miss")],
  inter=("3.5", 1))

P("TheoremQA", r"Compute the determinant of the matrix $\begin{pmatrix} 1 & 2 & 3 \\ 0 & 1 & 4 \\ 5 & 6 & 0 \end{pmatrix}$.",
  "1",
  [r"Expand along the first row: $1 \cdot (1 \cdot 0 - 4 \cdot 6) - 2 \cdot (0 \cdot 0 - 4 \cdot 5) + 3 \cdot (0 \cdot 6 - 1 \cdot 5)$.",
   r"That is $1 \cdot (-24) - 2 \cdot (-20) + 3 \cdot (-5) = -24 + 40 - 15$."],
  [("1", "exact"), ("1.0", "decimal_equiv")],
  [("-1", "sign_error", "sign slip"), ("-79", "sign_error", "cofactor sign error")])

P("TheoremQA", r"How many ways are there to partition a set of 4 elements into nonempty subsets?",
  "15",
  [r"This is the Bell number $B_4$. Count by number of blocks using Stirling numbers of the second kind.",
   r"$S(4,1) = 1$, $S(4,2) = 7$, $S(4,3) = 6$, $S(4,4) = 1$.",
   r"$B_4 = 1 + 7 + 6 + 1 = 15$."],
  [("15", "exact")],
  [("7", "intermediate_final", "only two-block partitions"), ("14", "off_by_one", "missed one")],
  inter=("7", 2), given="4")

P("TheoremQA", r"Compute Euler's totient function $\phi(36)$.",
  "12",
  [r"$36 = 2^2 \cdot 3^2$.",
   r"$\phi(36) = 36 \left(1 - \frac{1}{2}\right)\left(1 - \frac{1}{3}\right) = 36 \cdot \frac{1}{2} \cdot \frac{2}{3} = 12$."],
  [("12", "exact")],
  [("24", "arith_slip", "missed one factor"), ("36", "restate_given", "the input")],
  given="36")

P("TheoremQA", r"What is the probability of getting at least one head in 3 tosses of a fair coin?",
  "0.875",
  [r"The complement is getting no heads, i.e. three tails: probability $\left(\frac{1}{2}\right)^3 = \frac{1}{8}$.",
   r"So $P(\text{at least one head}) = 1 - \frac{1}{8} = \frac{7}{8} = 0.875$."],
  [("0.875", "exact"), (r"\frac{7}{8}", "decimal_equiv")],
  [("0.125", "wrong_quantity", "probability of no heads"), ("0.375", "wrong_value", "exactly one head")],
  inter=(r"\frac{1}{8}", 1))

# ---------------------------------------------------------------- MathQA
P("MathQA", "a train 120 m long passes a telegraph pole in 6 seconds . what is the speed of the train in km / hr ? a ) 60 , b ) 72 , c ) 80 , d ) 90 , e ) 54",
  "b",
  [r"Speed in m/s: $120 / 6 = 20$ m/s.",
   r"Convert to km/hr: $20 \times \frac{18}{5} = 72$ km/hr, which is option b."],
  [("b", "exact"), ("b ) 72", "mc_letter_value"), ("(B) 72 km/hr", "mc_letter_value")],
  [("c", "wrong_option", "80"), ("20", "unit_conversion", "m/s value, not km/hr option")],
  inter=("20", 1), text=True)

P("MathQA", "what is 15 % of 40 % of 500 ? a ) 20 , b ) 25 , c ) 30 , d ) 35 , e ) 40",
  "c",
  [r"40% of 500 is $0.4 \times 500 = 200$.",
   r"15% of 200 is $0.15 \times 200 = 30$, which is option c."],
  [("c", "exact"), ("c ) 30", "mc_letter_value"), ("(C)", "mc_letter")],
  [("a", "wrong_option", "20"), ("200", "intermediate_final", "40% of 500")],
  inter=("200", 1), text=True)

P("MathQA", "find the simple interest on rs . 5000 at 8 % per annum for 3 years . a ) 1000 , b ) 1200 , c ) 1400 , d ) 1500 , e ) 1600",
  "b",
  [r"Simple interest $= \frac{P \cdot R \cdot T}{100} = \frac{5000 \cdot 8 \cdot 3}{100}$.",
   r"$= 50 \cdot 24 = 1200$, option b."],
  [("b", "exact"), ("b ) 1200", "mc_letter_value"), ("B", "mc_letter")],
  [("d", "wrong_option", "1500"), ("6200", "wrong_quantity", "amount instead of interest")],
  text=True)

P("MathQA", "if 6 men can do a piece of work in 12 days , in how many days can 9 men do the same work ? a ) 6 , b ) 8 , c ) 9 , d ) 10 , e ) 18",
  "b",
  [r"Total work $= 6 \times 12 = 72$ man-days.",
   r"With 9 men: $72 / 9 = 8$ days, option b."],
  [("b", "exact"), ("b ) 8", "mc_letter_value")],
  [("e", "wrong_option", "18, direct instead of inverse proportion"), ("b or c", "hedge", "two options")],
  inter=("72", 1), text=True)

P("MathQA", "the average of the first 10 natural numbers is ? a ) 5 , b ) 5.5 , c ) 6 , d ) 6.5 , e ) 10",
  "b",
  [r"The sum of the first 10 natural numbers is $\frac{10 \cdot 11}{2} = 55$.",
   r"The average is $55 / 10 = 5.5$, option b."],
  [("b", "exact"), ("b ) 5.5", "mc_letter_value")],
  [("a", "wrong_option", "5"), ("55", "intermediate_final", "the sum")],
  inter=("55", 1), text=True)

P("MathQA", "find the ratio of 3 / 4 to 5 / 6 . a ) 9 : 10 , b ) 10 : 9 , c ) 5 : 8 , d ) 8 : 5 , e ) 15 : 24",
  "a",
  [r"$\frac{3/4}{5/6} = \frac{3}{4} \cdot \frac{6}{5} = \frac{18}{20} = \frac{9}{10}$.",
   r"So the ratio is 9 : 10, option a."],
  [("a", "exact"), ("a ) 9 : 10", "mc_letter_value")],
  [("b", "reciprocal", "10:9"), ("e", "wrong_option", "15:24")],
  text=True)


# ================================================================ generation
INTROS = ["", "Let me work through this step by step.\n\n", "Let's think step by step.\n\n",
          "RESTATE", "I'll solve this carefully.\n\n", "Okay, let's break this problem down.\n\n",
          "We need to find the answer by working through the given information.\n\n"]


PLANS = ["Let me first figure out what is being asked and which quantities are given, then work through it.",
         "I'll set up the relevant relationships first and then compute carefully, checking each step.",
         "This looks like a standard problem; the main thing is to be careful with the arithmetic.",
         "Let me organize the information before calculating anything."]


def intro(p, rng):
    s = rng.choice(INTROS)
    restated = s == "RESTATE" or rng.random() < 0.45
    if restated:
        s = "The problem asks: " + p["q"] + "\n\n"
    if not restated or rng.random() < 0.4:
        s += rng.choice(PLANS) + "\n\n"
    return s


CHECKS = ["Let me double-check each step above. The setup matches the problem statement, and redoing the arithmetic gives the same values, so I'm confident in the result.",
          "Quick sanity check: the result has the right form for what the question asks, and plugging it back into the conditions is consistent.",
          "Before finalizing, I re-read the question to make sure I'm answering exactly what was asked."]


def body(steps):
    return "\n\n".join(steps)


def check(rng):
    return ("\n\n" + rng.choice(CHECKS)) if rng.random() < 0.7 else ""


def short_wrap(form, p, rng):
    if p["text"]:
        opts = ["@", "The answer is @.", "Answer: @", "**@**", "\\boxed{@}", "Final answer: @"]
    else:
        opts = ["@", "$\\boxed{@}$", "The answer is $@$.", "Answer: $@$", "**Answer:** $@$",
                "\\boxed{@}", "Final answer: $@$", "So the answer is $@$."]
    return rng.choice(opts).replace("@", form)


def m(form, p):
    """inline math unless text-style."""
    return form if p["text"] else "$" + form + "$"


TRUE_TEMPLATES = ["cot_boxed", "markdown_bold", "display_math", "answer_is_text", "last_sentence_only",
                  "gsm_hash", "think_tags", "self_correct_right", "repeated_same_box", "think_wrong_then_right"]

FALSE_TEMPLATES = ["hedge", "two_boxes", "intermediate_final", "self_correct_wrong", "candidate_list",
                   "not_x", "empty_box", "truncated", "cot_slip", "think_final_wrong"]


def available_true(t, p):
    if t == "last_sentence_only":
        return bool(p["last"])
    if t == "gsm_hash":
        return p["style"] in ("GSM8K", "SVAMP", "ASDiv")
    return True


def available_false(t, p):
    if t == "intermediate_final":
        return p["inter"] is not None
    if t == "candidate_list":
        return not p["setlike"]
    if t == "cot_slip":
        return p["slip"] is not None
    if t == "truncated":
        return len(p["steps"]) >= 2
    return True


def long_true(t, p, form, rng):
    st = p["steps"]
    pre = intro(p, rng)
    W = p["wrongs"][0][0]
    if t == "cot_boxed":
        return pre + body(st) + check(rng) + "\n\nTherefore, the final answer is $\\boxed{" + form + "}$."
    if t == "markdown_bold":
        return pre + body(st) + check(rng) + "\n\n**Final Answer:** " + m(form, p)
    if t == "display_math":
        if p["text"]:
            inner = form if form.startswith("\\") else "\\text{" + form + "}"
            return pre + body(st) + "\n\nSo the answer is\n\n\\[\n\\boxed{" + inner + "}\n\\]"
        return pre + body(st) + "\n\nPutting it all together, the answer is\n$$\n" + form + "\n$$"
    if t == "answer_is_text":
        return pre + body(st) + check(rng) + "\n\nTherefore, the answer is " + m(form, p) + "."
    if t == "last_sentence_only":
        return pre + body(st) + "\n\n" + p["last"].replace("@", form)
    if t == "gsm_hash":
        return pre + body(st) + "\n#### " + form
    if t == "think_tags":
        return ("<think>\n" + pre + body(st) + "\nSo the answer should be " + form + ".\n</think>\n\n"
                + rng.choice(["**Answer:** " + m(form, p), "The answer is $\\boxed{" + form + "}$."]))
    if t == "self_correct_right":
        return (pre + body(st[:-1]) + ("\n\n" if len(st) > 1 else "") + "So the answer is " + m(W, p)
                + ".\n\nWait, that's wrong, let me redo this more carefully.\n\n" + st[-1]
                + "\n\nSo the correct final answer is $\\boxed{" + form + "}$.")
    if t == "repeated_same_box":
        return (pre + body(st) + check(rng) + "\n\nThus we get $\\boxed{" + form + "}$.\n\nFinal answer: $\\boxed{"
                + form + "}$")
    if t == "think_wrong_then_right":
        return ("<think>\n" + pre + "First guess: maybe it's " + W + "? Let me actually compute it.\n\n" + body(st)
                + "\n\nNo, not " + W + ". It is " + form + ".\n</think>\n\nThe answer is $\\boxed{" + form + "}$.")
    raise ValueError(t)


def candidates(p, rng):
    c = [p["trues"][0][0]] + [w[0] for w in p["wrongs"]]
    if p["inter"]:
        c.append(p["inter"][0])
    g = p["trues"][0][0]
    if g.lstrip("-").isdigit():
        c += [str(int(g) + 1), str(int(g) - 1)]
    out = []
    for x in c:
        if x not in out:
            out.append(x)
    rng.shuffle(out)
    return out[:5]


def long_false(t, p, rng):
    """returns (text, note)"""
    st = p["steps"]
    pre = intro(p, rng)
    F = p["trues"][0][0]
    W, _, wnote = p["wrongs"][0]
    if t == "hedge":
        a, b = (F, W) if rng.random() < 0.5 else (W, F)
        return (pre + body(st) + "\n\nHmm, depending on how the question is read, the answer is either "
                + m(a, p) + " or " + m(b, p) + ".", "hedges between the gold and %s" % W)
    if t == "two_boxes":
        a, b = (F, W) if rng.random() < 0.5 else (W, F)
        return (pre + body(st) + "\n\nI'll give both possibilities as my final answers: $\\boxed{" + a
                + "}$ and $\\boxed{" + b + "}$.", "two different boxed finals")
    if t == "intermediate_final":
        v, k = p["inter"]
        return (pre + body(st[:k]) + check(rng) + "\n\nSo the answer is $\\boxed{" + v + "}$.",
                "stops at an intermediate value %s" % v)
    if t == "self_correct_wrong":
        return (pre + body(st) + "\n\nHmm, wait. Let me double-check that. Actually I think I made an error "
                "somewhere above; redoing it, the result should be " + m(W, p) + " instead.\n\nSo the final answer is $\\boxed{"
                + W + "}$.", "talks itself out of the right answer into %s" % W)
    if t == "candidate_list":
        c = candidates(p, rng)
        return (pre + body(st[:1]) + "\n\nI can't pin it down exactly, but the answer is one of: "
                + ", ".join(c) + ".\n\n$\\boxed{" + ", ".join(c) + "}$", "lists several candidates")
    if t == "not_x":
        return (pre + body(st[:-1] if len(st) > 1 else st) + check(rng) + "\n\nAfter checking all the cases, the answer is not "
                + m(F, p) + ".", "asserts the answer is NOT the gold")
    if t == "empty_box":
        return (pre + body(st) + check(rng) + "\n\nTherefore, the final answer is $\\boxed{}$.", "empty box")
    if t == "truncated":
        last = st[-1]
        cut = last[: max(12, len(last) // 2)]
        cut = cut[: cut.rfind(" ")] if " " in cut else cut
        return (pre + body(st[:-1]) + "\n\n" + cut, "response cut off before any final answer")
    if t == "cot_slip":
        ws, wf = p["slip"]
        return (pre + body(ws) + "\n\nTherefore, the final answer is $\\boxed{" + wf + "}$.",
                "genuine reasoning slip leading to %s" % wf)
    if t == "think_final_wrong":
        return ("<think>\n" + pre + body(st) + check(rng) + "\n</think>\n\nThe answer is $\\boxed{" + W + "}$.",
                "correct work inside think, but final answer is %s" % W)
    raise ValueError(t)


def build():
    rng = random.Random(20240611)
    rows = []
    ti = fi = 0
    for i, p in enumerate(PROBS):
        style, gold = p["style"], p["gold"]
        trues, wrongs = p["trues"], p["wrongs"]

        def add(ans, label, cat, note=""):
            rows.append({"answer": ans, "gold": gold, "label": label, "category": cat,
                         "source_style": style, "note": note})

        def next_true():
            nonlocal ti
            while True:
                t = TRUE_TEMPLATES[ti % len(TRUE_TEMPLATES)]
                ti += 1
                if available_true(t, p):
                    return t

        def next_false():
            nonlocal fi
            while True:
                t = FALSE_TEMPLATES[fi % len(FALSE_TEMPLATES)]
                fi += 1
                if available_false(t, p):
                    return t

        # 1) long true
        t = next_true()
        form, fcat = trues[i % len(trues)]
        if t in ("last_sentence_only", "gsm_hash"):
            form, fcat = trues[0]
        cat = t if fcat in ("exact", "unit_in_gold") else fcat
        add(long_true(t, p, form, rng), True, cat,
            "long CoT, final %s equals gold" % form)
        # 2) long false (a genuine reasoning slip when one is written out for this problem)
        t = "cot_slip" if p["slip"] is not None else next_false()
        txt, note = long_false(t, p, rng)
        add(txt, False, t, note)
        # 3) long true with a second equivalent surface form, or an extra template
        if len(trues) > 2:
            form, fcat = trues[2]
            t = rng.choice(["cot_boxed", "answer_is_text", "markdown_bold", "think_tags"])
            add(long_true(t, p, form, rng), True, fcat if fcat != "exact" else t,
                "long CoT, final %s equals gold" % form)
        elif i % 2 == 0:
            t = next_true()
            form, fcat = trues[(i + 1) % len(trues)]
            if t in ("last_sentence_only", "gsm_hash"):
                form, fcat = trues[0]
            cat = t if fcat in ("exact", "unit_in_gold") else fcat
            add(long_true(t, p, form, rng), True, cat, "long CoT, final %s equals gold" % form)
        # 4) short true: alternate surface form when available
        form, fcat = trues[1] if len(trues) > 1 else trues[0]
        cat = "exact_short" if fcat == "exact" else fcat
        add(short_wrap(form, p, rng), True, cat, "equivalent form %s" % form)
        # 5) short false near miss
        w, wcat, wnote = wrongs[0]
        add(short_wrap(w, p, rng), False, wcat, wnote)
        # 6) long near-miss false: the chain of thought skips its last step and concludes a wrong value
        if len(wrongs) > 1 and i % 2 == 1:
            w, wcat, wnote = wrongs[1]
            st = p["steps"]
            txt = (intro(p, rng) + body(st[:-1] if len(st) > 1 else st) + check(rng) + "\n\n"
                   + rng.choice(["Therefore, the final answer is $\\boxed{@}$.",
                                 "So the answer is " + m("@", p) + ".",
                                 "**Final Answer:** " + m("@", p)]).replace("@", w))
            add(txt, False, wcat, wnote + " (long CoT)")
        if p["given"] and i % 3 == 0:
            add(short_wrap(p["given"], p, rng), False, "restate_given",
                "repeats a number given in the question")
        if i % 10 == 0:
            add(p["q"], False, "repeat_prompt", "only repeats the question")
    return rows


def main():
    rows = build()
    # dedupe identical (answer, gold)
    seen, uniq = set(), []
    for r in rows:
        key = (r["answer"], r["gold"])
        if key in seen:
            continue
        seen.add(key)
        uniq.append(r)
    rng = random.Random(99)
    rng.shuffle(uniq)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        for k, r in enumerate(uniq, 1):
            rec = {"id": "hold-%04d" % k, "answer": r["answer"], "gold": r["gold"], "label": r["label"],
                   "category": r["category"], "source_style": r["source_style"], "note": r["note"]}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    back = [json.loads(line) for line in open(OUT, encoding="utf-8")]
    assert len(back) == len(uniq)
    print("pairs:", len(back))
    print("labels:", dict(collections.Counter(r["label"] for r in back)))
    longn = sum(1 for r in back if len(r["answer"]) >= 200)
    print("long answers (>=200 chars):", longn)
    print("source styles:", dict(collections.Counter(r["source_style"] for r in back).most_common()))
    cats = collections.Counter(r["category"] for r in back)
    print("categories (%d):" % len(cats))
    for c, n in sorted(cats.items(), key=lambda x: -x[1]):
        lab = collections.Counter(r["label"] for r in back if r["category"] == c)
        print("  %-26s %3d  (true %d / false %d)" % (c, n, lab[True], lab[False]))


if __name__ == "__main__":
    main()
